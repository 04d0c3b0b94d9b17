/**
 * Attack family: session fixation and hijacking of the browser session and of the login
 * interaction (CWE-384, OWASP ASVS 5.0 V7). A planted session id must never become authenticated,
 * an interaction started by the attacker cannot be completed in the victim's browser, a completed
 * interaction cannot be replayed, and a session ended by logout stays dead server-side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser } from '../support/form-browser.js';
import { backendName } from '../support/test-context.js';
import { attackRig, cookieHeader, encode, expectErrorPage, goodParams, REDIRECT, SESSION_COOKIE, signedInBrowser, silentAuthorize, USER, type AttackRig } from './attack-rig.js';

describe(`attack suite: session fixation and hijacking (${backendName})`, () => {
  let rig: AttackRig;
  beforeAll(async () => {
    rig = await attackRig();
  });
  afterAll(() => rig.close());

  const startLogin = async (overrides: Record<string, string> = {}) => {
    const browser = new FormBrowser();
    const page = await browser.go(`${rig.issuer}/authorize?${encode(goodParams('web', overrides))}`, {}, REDIRECT);
    expect(page.html).toContain('name="username"');
    return browser;
  };

  // CWE-384: the attacker plants a well-formed session id of his choosing before the victim signs in.
  it('MUST issue a fresh session id at login and never authenticate a planted one', async () => {
    const planted = 'A'.repeat(43);
    const victim = await startLogin();
    victim.cookies.set(SESSION_COOKIE, planted);
    await victim.submit(USER, undefined, REDIRECT);
    const issued = victim.cookies.get(SESSION_COOKIE);
    expect(issued).toBeTruthy();
    expect(issued).not.toBe(planted);
    expect((await silentAuthorize(rig, `${SESSION_COOKIE}=${planted}`)).get('error')).toBe('login_required');
  });

  // The attacker signs in, then plants his own (authenticated) session id in the victim's browser
  // before the victim logs in: the victim's login must replace it, not keep the attacker's session.
  it('MUST replace an authenticated session planted by the attacker when the victim signs in', async () => {
    const attacker = await signedInBrowser(rig);
    const attackerSession = attacker.cookies.get(SESSION_COOKIE)!;
    const victim = await startLogin();
    victim.cookies.set(SESSION_COOKIE, attackerSession);
    await victim.submit(USER, undefined, REDIRECT);
    expect(victim.cookies.get(SESSION_COOKIE)).not.toBe(attackerSession);
    // The old session row is gone: the id the attacker kept no longer signs anyone in.
    expect((await silentAuthorize(rig, `${SESSION_COOKIE}=${attackerSession}`)).get('error')).toBe('login_required');
  });

  // Interaction fixation: the attacker starts an authorization request for his client and sends
  // the victim the login URL; without the interaction cookie the victim's browser gets an error page.
  it('MUST NOT show an interaction started in another browser', async () => {
    const attacker = await startLogin();
    await expectErrorPage(rig, () => fetch(attacker.lastUrl), /started in another browser/);
  });
  it('MUST NOT accept a login posted to an interaction started in another browser', async () => {
    const attacker = await startLogin();
    const csrf = /name="csrf" value="([^"]+)"/.exec(attacker.lastHtml)![1];
    const response = await expectErrorPage(rig, () => rig.post(new URL(attacker.lastUrl).pathname, { csrf, ...USER }), /started in another browser/);
    expect(response).not.toContain('name="password"');
  });

  // A completed interaction is single use: replaying the consent POST issues no second code.
  it('MUST NOT complete an interaction twice', async () => {
    const browser = await startLogin({ prompt: 'consent' });
    const afterLogin = await browser.submit(USER, undefined, REDIRECT);
    const consentUrl = afterLogin.url;
    const csrf = /name="csrf" value="([^"]+)"/.exec(afterLogin.html)?.[1];
    expect(csrf, 'prompt=consent shows the consent page').toBeTruthy();
    const first = await browser.submit({}, { name: 'decision', value: 'approve' }, REDIRECT);
    expect(new URL(first.url).searchParams.get('code')).toBeTruthy();
    await expectErrorPage(rig, () => fetch(consentUrl, { method: 'POST', redirect: 'manual', body: encode({ csrf, decision: 'approve' }), headers: { cookie: cookieHeader(browser), 'content-type': 'application/x-www-form-urlencoded' } }), /expired or was already completed|another browser/);
  });

  // CWE-613: after logout the server-side session is gone, so a stolen copy of the cookie is useless.
  it('MUST NOT honour a session cookie after the session was logged out', async () => {
    const browser = await signedInBrowser(rig);
    const stolen = cookieHeader(browser);
    expect((await silentAuthorize(rig, stolen)).get('code')).toBeTruthy();
    const confirm = await browser.go(`${rig.issuer}/logout`);
    expect(confirm.html).toContain('name="csrf"');
    await browser.submit({}, { name: 'decision', value: 'logout' });
    expect((await silentAuthorize(rig, stolen)).get('error')).toBe('login_required');
  });

  // Cookie theft by script (XSS) and cross-site sending: HttpOnly and SameSite on the session cookie.
  it('MUST set the session cookie HttpOnly and SameSite', async () => {
    const browser = await startLogin();
    const form = /name="csrf" value="([^"]+)"/.exec(browser.lastHtml)![1];
    const response = await fetch(browser.lastUrl, { method: 'POST', redirect: 'manual', body: encode({ csrf: form, ...USER }), headers: { cookie: cookieHeader(browser), 'content-type': 'application/x-www-form-urlencoded' } });
    const session = response.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`));
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*SameSite=(Lax|Strict)/i);
  });
});
