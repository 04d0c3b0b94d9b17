/**
 * The target of the black-box attack suite: a real Castellan on a loopback port with a few clients
 * and one user, driven over HTTP only. Helpers send requests the way an attacker would and check
 * the spec-shaped refusal: an HTML page without a redirect where redirecting would be unsafe
 * (RFC 6749 §4.1.2.1), a redirect with error, state and iss once the redirect_uri is proven
 * (RFC 9207), or RFC 6749 §5.2 JSON; and, through the store fingerprint, that nothing changed.
 */
import { expect } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { CodeIssuer, pkcePair } from '../support/code-issuer.js';
import { FormBrowser } from '../support/form-browser.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { snapshot } from '../support/store-snapshot.js';

export const REDIRECT = 'https://rp.example/cb';
export const OTHER_REDIRECT = 'https://other.example/cb';
export const NATIVE_REDIRECT = 'http://127.0.0.1/native';
export const LOGOUT_REDIRECT = 'https://rp.example/signed-out';
export const SECRET = 'attack-suite-secret-0123456789abcdefghij';
export const USER = { username: 'mallory-target', password: 'victim has a long password' };

export const basic = (id: string, secret = SECRET) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export type Form = Record<string, string | string[] | undefined>;

export function encode(form: Form): URLSearchParams {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const v of value === undefined ? [] : [value].flat()) body.append(name, v);
  return body;
}

export interface AttackRig extends RunningServer {
  codes: CodeIssuer;
  /** GET /authorize without following redirects. */
  authorize(params: Form, headers?: Record<string, string>): Promise<Response>;
  /** A form POST to a path of the server. */
  post(path: string, form: Form, headers?: Record<string, string>): Promise<Response>;
  /** A code for `clientId` through the real pages, with its PKCE verifier. */
  freshCode(clientId?: string, extra?: Record<string, string>): Promise<{ code: string; verifier: string }>;
  /** Exchanges a code for `clientId` (Basic for confidential clients, client_id for public ones). */
  exchange(clientId: string, code: { code: string; verifier: string }, extra?: Form): Promise<Response>;
  state(): Promise<Record<string, number>>;
}

/** Authorization request parameters for `clientId` with a fresh S256 challenge. */
export function goodParams(clientId = 'web', overrides: Form = {}): Form {
  return {
    response_type: 'code', client_id: clientId, redirect_uri: clientId === 'other' ? OTHER_REDIRECT : REDIRECT, scope: 'openid',
    state: 'st-attack', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...overrides,
  };
}

export async function attackRig(overrides: Partial<Config> = {}): Promise<AttackRig> {
  // The endpoint limits are not what most files attack; client-ip-spoofing.test.ts sets its own.
  const server = await startTestServer({ rateLimitToken: { points: 10_000, duration: 60 }, rateLimitAuthorization: { points: 10_000, duration: 60 }, ...overrides });
  const { ctx, issuer } = server;
  const web = { client_secret: SECRET, grant_types: ['authorization_code', 'refresh_token'] };
  await createClient(ctx, { client_id: 'web', client_name: 'Web App', ...web, redirect_uris: [REDIRECT], post_logout_redirect_uris: [LOGOUT_REDIRECT] });
  await createClient(ctx, { client_id: 'other', ...web, redirect_uris: [OTHER_REDIRECT, REDIRECT] });
  await createClient(ctx, { client_id: 'public', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] });
  await createClient(ctx, { client_id: 'legacy', ...web, redirect_uris: [REDIRECT], require_pkce: false });
  await createClient(ctx, { client_id: 'native', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: [NATIVE_REDIRECT] });
  await createUser(ctx, USER);
  const codes = new CodeIssuer(issuer, USER);

  const post = (path: string, form: Form, headers: Record<string, string> = {}) =>
    fetch(`${issuer}${path}`, { method: 'POST', body: encode(form), redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const redirectOf = (clientId: string) => (clientId === 'other' ? OTHER_REDIRECT : REDIRECT);

  return {
    ...server,
    codes,
    authorize: (params, headers = {}) => fetch(`${issuer}/authorize?${encode(params)}`, { redirect: 'manual', headers }),
    post,
    async freshCode(clientId = 'web', extra = {}) {
      const pkce = pkcePair();
      const code = await codes.code({ client_id: clientId, redirect_uri: redirectOf(clientId), scope: 'openid offline_access', code_challenge: pkce.challenge, code_challenge_method: 'S256', ...extra });
      return { code, verifier: pkce.verifier };
    },
    exchange(clientId, { code, verifier }, extra = {}) {
      const isPublic = clientId === 'public' || clientId === 'native';
      const form = { grant_type: 'authorization_code', code, redirect_uri: redirectOf(clientId), code_verifier: verifier, ...(isPublic ? { client_id: clientId } : {}), ...extra };
      return post('/token', form, isPublic ? {} : { authorization: basic(clientId) });
    },
    state: () => snapshot(ctx.knex),
  };
}

/** RFC 6749 §4.1.2.1: an HTML error page, never a redirect, and nothing stored changed. */
export async function expectErrorPage(rig: AttackRig, send: () => Promise<Response>, text: RegExp = /Request rejected/): Promise<string> {
  const before = await rig.state();
  const response = await send();
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  const body = await response.text();
  expect(body).toMatch(text);
  expect(await rig.state()).toEqual(before);
  return body;
}

/** An authorization error redirected to the proven redirect_uri with error, state and iss (RFC 9207). */
export async function expectRedirectError(rig: AttackRig, send: () => Promise<Response>, error: string, redirectUri = REDIRECT): Promise<URL> {
  const before = await rig.state();
  const response = await send();
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get('location')!);
  expect(location.origin + location.pathname).toBe(redirectUri);
  expect(location.searchParams.get('error')).toBe(error);
  expect(location.searchParams.get('iss')).toBe(rig.issuer);
  expect(await rig.state()).toEqual(before);
  return location;
}

/** RFC 6749 §5.2: JSON error with no-store; unless `changes`, nothing stored changed. */
export async function expectJsonError(rig: AttackRig, send: () => Promise<Response>, status: number, error: string, changes = false): Promise<Record<string, unknown>> {
  const before = await rig.state();
  const response = await send();
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.error).toBe(error);
  if (!changes) expect(await rig.state()).toEqual(before);
  return body;
}

/** The session cookie of an http issuer (https issuers use __Host-castellan). */
export const SESSION_COOKIE = 'castellan_session';

/** A browser signed in as USER that has consented to `clientId` once. */
export async function signedInBrowser(rig: AttackRig, clientId = 'web'): Promise<FormBrowser> {
  const browser = new FormBrowser();
  let page = await browser.go(`${rig.issuer}/authorize?${encode(goodParams(clientId))}`, {}, REDIRECT);
  if (page.html.includes('name="username"')) page = await browser.submit(USER, undefined, REDIRECT);
  if (page.html.includes('id="approve"')) page = await browser.submit({}, { name: 'decision', value: 'approve' }, REDIRECT);
  expect(new URL(page.url).searchParams.get('code')).toBeTruthy();
  return browser;
}

/** prompt=none with exactly these cookies: the code or the error the client would receive. */
export async function silentAuthorize(rig: AttackRig, cookie: string): Promise<URLSearchParams> {
  const response = await rig.authorize(goodParams('web', { prompt: 'none' }), { cookie });
  expect(response.status).toBe(303);
  return new URL(response.headers.get('location')!).searchParams;
}

export const cookieHeader = (browser: FormBrowser) => [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');

export interface LoginResult {
  status: number;
  text: string;
  retryAfter?: string;
  setCookie: string[];
}

/**
 * One browser's login form, requested with `headers` on every request (X-Forwarded-For and
 * friends), so a test chooses what the attacker claims about its address.
 */
export class LoginForm {
  /** The interaction cookie, the login page's path and the interaction's form token. */
  cookie = '';
  path = '';
  csrf = '';

  private constructor(private readonly rig: AttackRig, private readonly headers: Record<string, string>) {}

  static async open(rig: AttackRig, headers: Record<string, string> = {}, params: Form = {}): Promise<LoginForm> {
    const form = new LoginForm(rig, headers);
    const start = await rig.authorize(goodParams('web', params), headers);
    expect(start.status).toBe(303);
    form.cookie = start.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    form.path = new URL(start.headers.get('location')!, rig.issuer).pathname;
    const page = await fetch(`${rig.issuer}${form.path}`, { headers: { ...headers, cookie: form.cookie } });
    expect(page.status).toBe(200);
    form.csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1];
    return form;
  }

  async attempt(username: string, password: string, headers: Record<string, string> = this.headers): Promise<LoginResult> {
    const response = await this.rig.post(this.path, { csrf: this.csrf, username, password }, { ...headers, cookie: this.cookie });
    return { status: response.status, text: await response.text(), retryAfter: response.headers.get('retry-after') ?? undefined, setCookie: response.headers.getSetCookie() };
  }
}
