/**
 * Attack family: UI redressing and leaks through the browser. Clickjacking of the login, consent
 * and logout pages (RFC 9700 §4.16: frame-ancestors / X-Frame-Options), Referer leakage of
 * authorization request data (RFC 9700 §4.2.2, §4.2.4), codes kept in caches and history
 * (RFC 9700 §4.3.1), credentials re-sent by a 307 (RFC 9700 §4.12), and cross-origin reads of the
 * authorization endpoint (RFC 9700 §2.6: no CORS there).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser } from '../support/form-browser.js';
import { backendName } from '../support/test-context.js';
import { attackRig, cookieHeader, encode, goodParams, LoginForm, REDIRECT, signedInBrowser, USER, type AttackRig } from './attack-rig.js';

function expectUnframeable(response: Response) {
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
}

describe(`attack suite: clickjacking and browser-side leaks (${backendName})`, () => {
  let rig: AttackRig;
  beforeAll(async () => {
    rig = await attackRig();
  });
  afterAll(() => rig.close());

  const consentPage = async () => {
    const browser = new FormBrowser();
    await browser.go(`${rig.issuer}/authorize?${encode(goodParams('web', { prompt: 'consent' }))}`, {}, REDIRECT);
    const consent = await browser.submit(USER, undefined, REDIRECT);
    expect(consent.html).toContain('id="approve"');
    return fetch(consent.url, { headers: { cookie: cookieHeader(browser) } });
  };

  describe('RFC 9700 §4.16 clickjacking', () => {
    it('MUST forbid framing the login page (credential capture by an overlaid frame)', async () => {
      const start = await rig.authorize(goodParams('web'));
      const cookie = start.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
      const page = await fetch(new URL(start.headers.get('location')!, rig.issuer), { headers: { cookie } });
      expect(page.status).toBe(200);
      expectUnframeable(page);
    });
    it('MUST forbid framing the consent page (a hidden "Allow" click)', async () => {
      const page = await consentPage();
      expect(page.status).toBe(200);
      expectUnframeable(page);
    });
    it('MUST forbid framing the logout confirmation page', async () => {
      const browser = await signedInBrowser(rig);
      const page = await fetch(`${rig.issuer}/logout`, { headers: { cookie: cookieHeader(browser) } });
      expect(await page.text()).toContain('name="csrf"');
      expectUnframeable(page);
    });
  });

  // RFC 9700 §4.2.2: the login page's URL and any resource it loads must not leak via Referer.
  it('MUST suppress the Referer on the login page (header and meta)', async () => {
    const start = await rig.authorize(goodParams('web'));
    const cookie = start.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    const page = await fetch(new URL(start.headers.get('location')!, rig.issuer), { headers: { cookie } });
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain('<meta name="referrer" content="no-referrer">');
  });

  // RFC 9700 §4.3.1 / RFC 6749 §5.1: nothing carrying a code or token may be cached.
  it('MUST mark the redirect carrying the code and the form_post page no-store', async () => {
    const browser = await signedInBrowser(rig);
    const redirect = await rig.authorize(goodParams('web'), { cookie: cookieHeader(browser) });
    expect(new URL(redirect.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    expect(redirect.headers.get('cache-control')).toBe('no-store');
    const formPost = await rig.authorize(goodParams('web', { response_mode: 'form_post' }), { cookie: cookieHeader(browser) });
    expect(await formPost.text()).toContain('name="code"');
    expect(formPost.headers.get('cache-control')).toBe('no-store');
  });

  // RFC 9700 §4.12: a 307 after the login POST would re-post the password to the client.
  it('MUST answer a successful login POST with 303, never 307', async () => {
    const form = await LoginForm.open(rig);
    const result = await form.attempt(USER.username, USER.password);
    expect(result.status).toBe(303);
  });

  // RFC 9700 §2.6: CORS MUST NOT be supported at the authorization endpoint.
  it('MUST NOT let another origin read the authorization endpoint (no CORS, no preflight)', async () => {
    const origin = 'https://attacker.example';
    const simple = await rig.authorize(goodParams('web'), { origin });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${rig.issuer}/authorize`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });
});
