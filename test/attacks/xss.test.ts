/**
 * Attack family: script injection into the server's own pages (CWE-79; RFC 6749 §10.14 requires
 * sanitising state and redirect_uri). Reflected payloads in the error page, the form_post page and
 * the login page; stored payloads in client metadata; dangerous redirect URI schemes registered
 * dynamically; and JSON errors that a browser must not sniff as HTML.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../support/test-context.js';
import { attackRig, expectErrorPage, goodParams, REDIRECT, type AttackRig } from './attack-rig.js';

const SCRIPT = '<script>alert(document.domain)</script>';
const BREAKOUT = `"><svg onload=alert(1)>${SCRIPT}`;

describe(`attack suite: cross-site scripting (${backendName})`, () => {
  let rig: AttackRig;
  beforeAll(async () => {
    rig = await attackRig({ rateLimitRegistration: { points: 100, duration: 3600 } });
  });
  afterAll(() => rig.close());

  /** The login page of a fresh authorization request, fetched with its interaction cookie. */
  const loginPage = async (overrides: Record<string, string>, clientId = 'web') => {
    const start = await rig.authorize(goodParams(clientId, { redirect_uri: REDIRECT, ...overrides }));
    expect(start.status).toBe(303);
    const cookie = start.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    return fetch(new URL(start.headers.get('location')!, rig.issuer), { headers: { cookie } });
  };
  const register = (metadata: Record<string, unknown>) =>
    fetch(`${rig.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [REDIRECT], ...metadata }) });
  const noRawPayload = (html: string) => {
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<svg onload');
  };

  // Reflected XSS on the error page shown when redirecting would be unsafe.
  it('MUST escape a client_id payload on the error page', async () => {
    noRawPayload(await expectErrorPage(rig, () => rig.authorize(goodParams('web', { client_id: BREAKOUT })), /invalid client/));
  });
  it('MUST escape a redirect_uri payload on the error page', async () => {
    noRawPayload(await expectErrorPage(rig, () => rig.authorize(goodParams('web', { redirect_uri: `https://rp.example/cb${BREAKOUT}` })), /invalid redirect_uri/));
  });

  // Keycloak CVE-2023-6134 (reflected XSS through the form_post response): state breaks out of value="".
  it('MUST escape state in a form_post response', async () => {
    const response = await rig.authorize(goodParams('web', { response_mode: 'form_post', scope: 'nonsense', state: BREAKOUT }));
    expect(response.status).toBe(200);
    const html = await response.text();
    noRawPayload(html);
    expect(html).toContain('value="&quot;&gt;&lt;svg onload=alert(1)&gt;');
    // The page's only script is the external auto-submit file; the CSP forbids inline script.
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="/assets/form-post.js">']);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
  });

  // login_hint is echoed into the username field.
  it('MUST escape login_hint in the login page', async () => {
    const response = await loginPage({ login_hint: BREAKOUT });
    expect(response.status).toBe(200);
    noRawPayload(await response.text());
  });
  // ui_locales is echoed into <html lang="...">.
  it('MUST NOT let ui_locales break out of the lang attribute', async () => {
    const response = await loginPage({ ui_locales: 'en" onmouseover="alert(1)' });
    const html = await response.text();
    expect(html).not.toContain('onmouseover="alert(1)');
    expect(html).toMatch(/<html lang="[A-Za-z0-9-]*">/);
  });

  // Stored XSS: a client registered dynamically names itself with markup, shown to every user.
  it('MUST escape a registered client_name on the login page', async () => {
    const registered = await register({ client_name: BREAKOUT, token_endpoint_auth_method: 'none' });
    expect(registered.status).toBe(201);
    const { client_id: clientId } = (await registered.json()) as { client_id: string };
    const page = await loginPage({ client_id: clientId }, clientId);
    noRawPayload(await page.text());
  });

  // Keycloak CVE-2020-10776 (unsafe redirect_uri schemes) and CVE-2026-9086 (case-insensitive
  // javascript:/data: bypass): the form_post action or a logout redirect would run script.
  it.each([
    ['javascript:', 'javascript:alert(document.domain)//'],
    ['mixed-case JaVaScRiPt:', 'JaVaScRiPt:alert(document.domain)//'],
    ['javascript: with a tab inside the scheme', 'java\tscript:alert(document.domain)//'],
    ['data:', `data:text/html,${SCRIPT}`],
    ['vbscript:', 'vbscript:msgbox(1)'],
  ])('MUST refuse to register a %s redirect_uri (invalid_redirect_uri)', async (_name, uri) => {
    const before = await rig.state();
    const response = await register({ redirect_uris: [uri], token_endpoint_auth_method: 'none' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_redirect_uri');
    expect(await rig.state()).toEqual(before);
  });
  it('MUST refuse to register a javascript: post_logout_redirect_uri', async () => {
    const response = await register({ post_logout_redirect_uris: ['javascript:alert(1)'], token_endpoint_auth_method: 'none' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_redirect_uri');
  });

  // A JSON error that reflects input must not be rendered as HTML by a sniffing browser.
  it('MUST serve reflected JSON errors as application/json with nosniff', async () => {
    const response = await rig.post('/token', { grant_type: SCRIPT });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
  it('MUST escape the path on the HTML not-found page', async () => {
    const response = await fetch(`${rig.issuer}/${encodeURIComponent(SCRIPT)}`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(404);
    noRawPayload(await response.text());
  });
});
