/**
 * Every server-rendered page under the CSP of security/headers.ts in real headless Chromium: login,
 * login error, consent, MFA enrolment and challenge, logout confirmation and the HTML error page load
 * and render with no Content-Security-Policy violation (no inline style or script anywhere).
 * @spec https://www.w3.org/TR/CSP3/#violation-events
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';
import { watchCsp } from '../support/csp-watch.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';

const PASSWORD = 'csp passphrase in chromium';
const totp = (secret: string, epoch: number) => generate({ secret, epoch, period: 30, digits: 6 });

describe.runIf(chromiumAvailable)('the pages in headless Chromium under the CSP', () => {
  let rig: RunningServer;
  let rp: Server;
  let redirectUri: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    rig = await startTestServer();
    rp = createServer((_req, res) => res.end('<!doctype html><title>RP</title><p id="landed">callback reached</p>'));
    await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/callback`;
    await createClient(rig.ctx, { client_id: 'csp-app', client_secret: 'csp-app-secret-that-is-long-enough-0123', redirect_uris: [redirectUri], require_pkce: false });
    await createUser(rig.ctx, { username: 'dana', password: PASSWORD });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    page = await context.newPage();
    violations = await watchCsp(context, page);
  });
  afterAll(async () => {
    await browser?.close();
    rp?.close();
    await rig?.close();
  });

  const authorize = () => `${rig.issuer}/authorize?client_id=csp-app&response_type=code&scope=openid&state=s1&redirect_uri=${encodeURIComponent(redirectUri)}`;
  const signIn = async (password: string) => {
    await page.fill('input[name="username"]', 'dana');
    await page.fill('input[name="password"]', password);
    await page.click('#login-submit');
  };
  /** The stylesheet really applied: the card is styled, so a blocked sheet would show here too. */
  const styled = () => page.$eval('main.card', (card) => getComputedStyle(card).backgroundColor);

  it('MUST show login, login error, consent, MFA enrolment, logout confirmation, MFA challenge and the error page without a violation', async () => {
    await page.goto(authorize());
    await page.waitForSelector('#login-submit');
    expect(await styled()).toBe('rgb(255, 255, 255)');
    await signIn('not the password');
    await page.waitForSelector('#login-error');
    await signIn(PASSWORD);
    await page.click('#approve');
    await page.waitForSelector('#landed');

    await page.goto(`${rig.issuer}/account/mfa`);
    await page.waitForSelector('#mfa-qr');
    expect(await page.$eval('#mfa-qr', (img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    const secret = (await page.textContent('#mfa-secret'))!.replace(/\s/g, '');
    const now = Math.floor(Date.now() / 1000);
    await page.fill('#password', PASSWORD);
    await page.fill('#otp', await totp(secret, now));
    await page.click('#enroll-submit');
    await page.waitForSelector('#recovery-codes');

    await page.goto(`${rig.issuer}/logout?client_id=csp-app`);
    await page.click('#logout-confirm');
    await page.waitForSelector('#signed-out');

    await page.goto(authorize());
    await signIn(PASSWORD);
    await page.waitForSelector('#mfa-submit');
    // The enrolment used this time step; the next one is within the allowed drift.
    await page.fill('#otp', await totp(secret, now + 30));
    await page.click('#mfa-submit');
    await page.waitForSelector('#landed');

    await page.goto(`${rig.issuer}/authorize?client_id=no-such-app&response_type=code&redirect_uri=${encodeURIComponent(redirectUri)}`);
    expect(await page.textContent('main')).toContain('invalid_client');
    expect(await styled()).toBe('rgb(255, 255, 255)');
    expect(violations).toEqual([]);
  });

  it('MUST notice a violation when one happens (the check above is not blind)', async () => {
    await page.goto(`${rig.issuer}/logout/done`);
    await page.evaluate(() => {
      const style = document.createElement('style');
      style.textContent = 'body { color: red; }';
      document.head.append(style);
    });
    await expect.poll(() => violations.length).toBeGreaterThan(0);
    expect(violations.join('\n')).toMatch(/style-src/);
  });
});
