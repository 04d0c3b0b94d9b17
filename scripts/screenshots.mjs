#!/usr/bin/env node
/**
 * Screenshots of the server-rendered pages, taken by real headless Chromium from a real Castellan
 * (`castellan start` from dist/) on a throwaway SQLite database, into docs/screenshots/. Every
 * Content-Security-Policy violation on the way fails the run: `securitypolicyviolation` events from
 * each document, and Chromium's own console and log entries that mention the policy.
 *
 *   npm run screenshots        (builds dist/ first; `node scripts/screenshots.mjs` uses it as it is)
 *
 * CHROMIUM_PATH overrides /usr/bin/chromium; SCREENSHOTS_DIR overrides docs/screenshots.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from 'otplib';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = process.env.SCREENSHOTS_DIR ?? join(root, 'docs', 'screenshots');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const cli = join(root, 'dist', 'cli', 'main.js');
const VIEWPORT = { width: 1024, height: 768 };
const USER = { username: 'alice', password: 'correct horse battery staple' };
/** The admin credential of the inspector pages (Basic password in the browser). */
const ADMIN_TOKEN = 'screenshots-admin-token-0123456789abcdefghijklmnop';
const CLIENT_SECRET = 'example-app-secret-for-screenshots-0123456789';
/** RFC 7636 Appendix B: the verifier of the challenge the authorization request sends. */
const CODE_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

/** Matches what Chromium prints when the CSP blocks something. */
const CSP_TEXT = /Content.Security.Policy|Refused to (apply|execute|load|connect|frame|evaluate|create)/i;

if (!existsSync(cli)) fail(`${cli} is missing: run \`npm run build\` first`);
if (!existsSync(chromiumPath)) fail(`no Chromium at ${chromiumPath} (set CHROMIUM_PATH)`);

function fail(message) {
  console.error(`screenshots: ${message}`);
  process.exit(1);
}

/** A free loopback port: bound, read, released. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** A relying party that only shows where the browser landed, so redirects end on a real page. */
async function startRelyingParty() {
  const rp = createServer((_req, res) => res.end('<!doctype html><title>Example app</title><p id="landed">Back at the application.</p>'));
  await new Promise((resolve) => rp.listen(0, '127.0.0.1', resolve));
  return { rp, callback: `http://127.0.0.1:${rp.address().port}/callback` };
}

async function startCastellan(dir, port, callback) {
  const seed = {
    clients: [{
      client_id: 'example-app', client_secret: CLIENT_SECRET, client_name: 'Example App',
      application_type: 'web', redirect_uris: [callback], grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic', scope: 'openid profile email offline_access',
    }, {
      client_id: 'living-room-tv', client_name: 'Living Room TV', token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    }],
    users: [{ ...USER, claims: { name: 'Alice Liddell', email: 'alice@example.com', email_verified: true } }],
  };
  writeFileSync(join(dir, 'seed.json'), JSON.stringify(seed));
  const issuer = `http://localhost:${port}`;
  const child = spawn(process.execPath, [cli, 'start'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, PORT: String(port), ISSUER: issuer, DATABASE_URL: `sqlite:${join(dir, 'castellan.sqlite')}`,
      MASTER_KEY_FILE: join(dir, 'master.key'), SEED_FILE: join(dir, 'seed.json'), LOG_LEVEL: 'warn', ADMIN_TOKEN, INSPECTOR_ENABLED: 'true',
    },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Ready when discovery answers; give up when the process dies or after 30 s.
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${issuer}/.well-known/openid-configuration`)).ok) return { issuer, stop: () => (child.kill('SIGTERM'), exited) };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  fail(`Castellan did not start:\n${output}`);
}

/** Records CSP violations and console output of every document the page loads. */
async function watch(context, page) {
  const violations = [];
  const consoleLines = [];
  await page.exposeBinding('__cspViolation', (_source, report) => violations.push(report));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolation(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} in ${event.documentURI}${event.sample ? ` (${event.sample})` : ''}`);
    });
  });
  page.on('console', (message) => {
    consoleLines.push(`${message.type()}: ${message.text()} [${message.location().url}]`);
    if (CSP_TEXT.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  // Chromium can report a CSP block through the Log domain rather than the console: both are read.
  const cdp = await context.newCDPSession(page);
  cdp.on('Log.entryAdded', ({ entry }) => {
    if (CSP_TEXT.test(entry.text)) violations.push(entry.text);
  });
  await cdp.send('Log.enable');
  return { violations, consoleLines };
}

/** The example app redeeming a code at the token endpoint, as a confidential client. */
async function redeem(issuer, code, callback) {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST', headers: { authorization: `Basic ${Buffer.from(`example-app:${CLIENT_SECRET}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callback, code_verifier: CODE_VERIFIER }),
  });
  return response.json();
}

/**
 * The request inspector. Before, the example app redeemed its first code twice (the second is
 * refused, and revokes the grant); now it redeems its last code, calls userinfo, and asks
 * /authorize once without state or nonce. Then an admin browser (the ADMIN_TOKEN as the Basic
 * password) opens the app's requests, the token debugger with the access token, and the report card.
 */
async function inspectorShots(browser, issuer, code, callback, shot) {
  const tokens = await redeem(issuer, code, callback);
  if (!tokens.access_token) fail(`the code was not redeemed: ${JSON.stringify(tokens)}`);
  await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  await fetch(`${issuer}/authorize?${new URLSearchParams({ client_id: 'example-app', response_type: 'code', scope: 'openid profile', redirect_uri: callback, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`, { redirect: 'manual' });
  // The recorder writes in batches shortly after each answer.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light', locale: 'en-GB', httpCredentials: { username: 'admin', password: ADMIN_TOKEN } });
  const page = await context.newPage();
  const watched = await watch(context, page);
  const admin = (name, step) => shot(name, step, page);
  await page.goto(`${issuer}/admin/inspector/clients/example-app?limit=5`);
  await page.waitForSelector('#client-id');
  await admin('inspector-client', 'GET /admin/inspector/clients/example-app?limit=5 (ADMIN_TOKEN as the Basic password): the newest requests, secrets masked, tokens decoded');
  await page.goto(`${issuer}/admin/inspector/token`);
  await page.fill('#token', tokens.access_token);
  await page.click('#inspect');
  await page.waitForSelector('#verdict');
  await admin('inspector-token-debugger', 'the token debugger posted with the access token the app just received');
  await page.goto(`${issuer}/admin/inspector/clients/example-app/report`);
  await page.waitForSelector('#observed-only');
  await admin('inspector-report-card', 'GET /admin/inspector/clients/example-app/report: what the server observed the app get wrong');
  await context.close();
  return watched;
}

async function run() {
  mkdirSync(outDir, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'castellan-screenshots-'));
  const { rp, callback } = await startRelyingParty();
  const server = await startCastellan(dir, await freePort(), callback);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const shots = [];
  let watched;
  try {
    const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light', locale: 'en-GB' });
    const page = await context.newPage();
    watched = await watch(context, page);
    const shot = async (name, step, on = page) => {
      // Fonts and the stylesheet are in before the picture is taken.
      await on.waitForLoadState('load');
      await on.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });
      shots.push(name);
      console.log(`${name}.png  ${step}\n    ${on.url().replace(server.issuer, '')}`);
    };
    // PKCE as OAuth 2.1 asks (RFC 7636 Appendix B's pair; the inspector part redeems the first code with it).
    const authorize = `${server.issuer}/authorize?${new URLSearchParams({
      client_id: 'example-app', response_type: 'code', scope: 'openid profile email', state: 'af0ifjsldkj', nonce: 'n-0S6_WzA2Mj', redirect_uri: callback,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    })}`;

    await page.goto(authorize);
    await page.waitForSelector('#login-submit');
    await shot('login', 'GET /authorize for a registered client redirects to the login page');

    await page.fill('input[name="username"]', USER.username);
    await page.fill('input[name="password"]', 'not the password');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error');
    await shot('login-error', 'the login form posted with a wrong password');

    await page.fill('input[name="password"]', USER.password);
    await page.click('#login-submit');
    await page.waitForSelector('#approve');
    await shot('consent', 'the login form posted with the right password: the consent page');
    await page.click('#approve');
    await page.waitForSelector('#landed');
    // For the inspector: the app redeems this code, then presents it again (refused; the grant is revoked).
    const firstCode = new URL(page.url()).searchParams.get('code');
    await redeem(server.issuer, firstCode, callback);
    await redeem(server.issuer, firstCode, callback);

    // RFC 8628: a device asks for a code; the signed-in browser opens verification_uri_complete.
    const device = await (await fetch(`${server.issuer}/device_authorization`, {
      method: 'POST', body: new URLSearchParams({ client_id: 'living-room-tv', scope: 'openid profile offline_access' }),
    })).json();
    await page.goto(device.verification_uri_complete);
    await page.waitForSelector('#device-submit');
    await shot('device-code-entry', 'GET verification_uri_complete from a device authorization: the code entry form, pre-filled, awaiting confirmation');
    await page.click('#device-submit');
    await page.waitForSelector('#device-warning');
    await shot('device-consent', 'the code confirmed while signed in: the device consent page with its remote-phishing warning');
    await page.click('#approve');
    await page.waitForSelector('#device-done');
    await shot('device-done', 'the device approved: return to your device');

    await page.goto(`${server.issuer}/account/mfa`);
    await page.waitForSelector('#mfa-qr');
    await shot('mfa-enrollment', 'GET /account/mfa while signed in: QR code and key of a new TOTP secret');
    const secret = (await page.textContent('#mfa-secret')).replace(/\s/g, '');
    const now = Math.floor(Date.now() / 1000);
    await page.fill('#password', USER.password);
    await page.fill('#otp', await generate({ secret, epoch: now, period: 30, digits: 6 }));
    await page.click('#enroll-submit');
    await page.waitForSelector('#recovery-codes');
    await shot('mfa-recovery-codes', 'the enrolment form posted with the password and a first code: recovery codes, shown once');

    await page.goto(`${server.issuer}/logout?client_id=example-app`);
    await page.waitForSelector('#logout-confirm');
    await shot('logout-confirmation', 'GET /logout?client_id=example-app with a session: the RP-initiated logout confirmation');
    await page.click('#logout-confirm');
    await page.waitForSelector('#signed-out');
    await shot('signed-out', 'the confirmation posted with "Sign out"');

    await page.goto(authorize);
    await page.fill('input[name="username"]', USER.username);
    await page.fill('input[name="password"]', USER.password);
    await page.click('#login-submit');
    await page.waitForSelector('#mfa-submit');
    await shot('mfa-challenge', 'a new /authorize, the password of the now enrolled user: the two-step verification challenge');
    // The enrolment used the current time step; one step of drift is allowed, so the next step's code passes now.
    await page.fill('#otp', await generate({ secret, epoch: now + 30, period: 30, digits: 6 }));
    await page.click('#mfa-submit');
    await page.waitForSelector('#landed');
    const lastCode = new URL(page.url()).searchParams.get('code');

    await page.goto(`${server.issuer}/authorize?client_id=unknown-app&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(callback)}`);
    await page.waitForSelector('h1');
    await shot('error', 'GET /authorize with an unknown client_id: the HTML error page (no redirect to an unproven redirect_uri)');

    await page.goto(`${server.issuer}/authorize?client_id=example-app&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(`${callback}/`)}`);
    await page.waitForSelector('#received');
    await shot('redirect-uri-error', 'GET /authorize with a redirect_uri one slash off the registered one: the value received and the exact-match rule, never the registered URIs');
    await page.click('#error-uri');
    await page.waitForSelector('#requirement-text');
    await shot('error-explanation', 'the link of the error page: its error_uri, the page explaining the rule, causes, fixes and library notes');
    await page.goto(`${server.issuer}/errors/invalid_client/RFC6749-2.3-2`);
    await page.waitForSelector('#libraries');
    await shot('error-explanation-client-auth', 'the error_uri of invalid_client for a client using another method than it registered: the library defaults behind it');
    await context.close();
    const admin = await inspectorShots(browser, server.issuer, lastCode, callback, shot);
    watched.violations.push(...admin.violations);
    watched.consoleLines.push(...admin.consoleLines);
  } catch (error) {
    const page = browser.contexts()[0]?.pages()[0];
    if (page) error.message += `\nat ${page.url()}:\n${(await page.textContent('body').catch(() => '')).trim()}`;
    throw error;
  } finally {
    await browser.close();
    await server.stop();
    rp.close();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const line of watched.consoleLines) console.log(`  console ${line}`);
  if (watched.violations.length > 0) {
    fail(`${watched.violations.length} Content-Security-Policy violation(s):\n${watched.violations.map((v) => `  ${v}`).join('\n')}`);
  }
  console.log(`${shots.length} screenshots in ${outDir}, 0 Content-Security-Policy violations`);
}

run().catch((error) => fail(error.stack ?? String(error)));
