/**
 * Attack family: cross-site request forgery against the server's own forms (CWE-352). RFC 6749
 * §10.12: the authorization server MUST protect its authorization endpoint against CSRF so a
 * malicious client cannot obtain authorization without the user's awareness; the same holds for
 * logout (RP-Initiated Logout 1.0 §2: ask the user) and the account pages. Each forged POST must be
 * refused without a session, a code, a logout or a revoked consent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser } from '../support/form-browser.js';
import { backendName } from '../support/test-context.js';
import { attackRig, cookieHeader, encode, expectErrorPage, goodParams, REDIRECT, SESSION_COOKIE, signedInBrowser, silentAuthorize, USER, type AttackRig } from './attack-rig.js';

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1];

describe(`attack suite: cross-site request forgery (${backendName})`, () => {
  let rig: AttackRig;
  beforeAll(async () => {
    rig = await attackRig();
  });
  afterAll(() => rig.close());

  /** A POST from `browser`'s cookie jar with `form`, the way a forged auto-submitting form would send it. */
  const forge = (browser: FormBrowser, url: string, form: Record<string, string>) =>
    fetch(url, { method: 'POST', redirect: 'manual', body: encode(form), headers: { cookie: cookieHeader(browser), 'content-type': 'application/x-www-form-urlencoded' } });
  const loginPage = async (overrides: Record<string, string> = {}) => {
    const browser = new FormBrowser();
    await browser.go(`${rig.issuer}/authorize?${encode(goodParams('web', overrides))}`, {}, REDIRECT);
    return browser;
  };

  describe('login and consent (RFC 6749 §10.12)', () => {
    it('MUST refuse a login POST without the form token, creating no session', async () => {
      const victim = await loginPage();
      const response = await forge(victim, victim.lastUrl, { ...USER });
      expect(response.status).toBe(403);
      expect(response.headers.getSetCookie().some((line) => line.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    });
    // A token is worth nothing outside its own interaction: the attacker's valid token does not fit.
    it('MUST refuse a login POST carrying the form token of another interaction', async () => {
      const attacker = await loginPage();
      const victim = await loginPage();
      const response = await forge(victim, victim.lastUrl, { csrf: csrfOf(attacker.lastHtml), ...USER });
      expect(response.status).toBe(403);
      expect(response.headers.getSetCookie().some((line) => line.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    });
    // The classic consent CSRF: the victim is signed in, a forged POST approves the attacker's client.
    it('MUST refuse a consent POST without the form token, issuing no code', async () => {
      const victim = await loginPage({ prompt: 'consent' });
      const consent = await victim.submit(USER, undefined, REDIRECT);
      expect(consent.html).toContain('id="approve"');
      const before = await rig.state();
      const response = await forge(victim, consent.url, { decision: 'approve' });
      expect(response.status).toBe(403);
      expect(response.headers.get('location')).toBeNull();
      expect(await rig.state()).toEqual(before);
    });
  });

  // RFC 6749 §10.12 ("without the awareness and explicit consent of the resource owner") and OIDC
  // Core §3.1.2.1: a silent request cannot stand in for the consent page.
  describe('silent authorization', () => {
    it('MUST NOT issue a code silently to a client the user never approved', async () => {
      const victim = await signedInBrowser(rig);
      const before = await rig.state();
      const response = await rig.authorize(goodParams('other', { prompt: 'none' }), { cookie: cookieHeader(victim) });
      expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('consent_required');
      expect(await rig.state()).toEqual(before);
    });
    it('MUST NOT widen an approved scope silently', async () => {
      const victim = await signedInBrowser(rig);
      const before = await rig.state();
      const response = await rig.authorize(goodParams('web', { prompt: 'none', scope: 'openid email phone address' }), { cookie: cookieHeader(victim) });
      expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('consent_required');
      expect(await rig.state()).toEqual(before);
    });
  });

  describe('logout (RP-Initiated Logout 1.0 §2)', () => {
    // An <img src="/logout"> on any site must not sign the user out: GET only asks.
    it('MUST NOT end the session on a bare GET /logout', async () => {
      const victim = await signedInBrowser(rig);
      const page = await fetch(`${rig.issuer}/logout`, { headers: { cookie: cookieHeader(victim) } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('name="csrf"');
      expect((await silentAuthorize(rig, cookieHeader(victim))).get('code')).toBeTruthy();
    });
    it('MUST refuse a logout confirmation without its form token, keeping the session', async () => {
      const victim = await signedInBrowser(rig);
      await expectErrorPage(rig, () => forge(victim, `${rig.issuer}/logout/confirm`, { decision: 'logout' }));
      expect((await silentAuthorize(rig, cookieHeader(victim))).get('code')).toBeTruthy();
    });
    // The attacker's own (valid) confirmation token is bound to the attacker's session, not the victim's.
    it('MUST refuse a logout confirmation carrying a token issued to another session', async () => {
      const attacker = await signedInBrowser(rig);
      const token = csrfOf((await attacker.go(`${rig.issuer}/logout`)).html);
      const victim = await signedInBrowser(rig);
      await expectErrorPage(rig, () => forge(victim, `${rig.issuer}/logout/confirm`, { csrf: token, decision: 'logout' }));
      expect((await silentAuthorize(rig, cookieHeader(victim))).get('code')).toBeTruthy();
    });
  });

  describe('account pages', () => {
    const revoke = (browser: FormBrowser, form: Record<string, string>) => forge(browser, `${rig.issuer}/account/consents/revoke`, { client_id: 'web', ...form });

    it('MUST refuse a consent revocation without its form token, keeping the consent', async () => {
      const victim = await signedInBrowser(rig);
      await expectErrorPage(rig, () => revoke(victim, {}));
      expect((await silentAuthorize(rig, cookieHeader(victim))).get('code')).toBeTruthy();
    });
    // Token confusion: a sealed token for one form (logout) presented to another (revocation).
    it('MUST refuse a form token issued for another purpose', async () => {
      const victim = await signedInBrowser(rig);
      const logoutToken = csrfOf((await victim.go(`${rig.issuer}/logout`)).html);
      await expectErrorPage(rig, () => revoke(victim, { csrf: logoutToken }));
      expect((await silentAuthorize(rig, cookieHeader(victim))).get('code')).toBeTruthy();
    });
  });
});
