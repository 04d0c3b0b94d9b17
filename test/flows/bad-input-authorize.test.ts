/**
 * Bad input at the authorization and userinfo endpoints. Before client_id and redirect_uri are
 * proven, errors are an HTML page and never a redirect (RFC 6749 §4.1.2.1, RFC 9700 §4.1); after,
 * errors go back to the client with state and iss (RFC 9207). Nothing stored changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { pkcePair } from '../support/code-issuer.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { snapshot } from '../support/store-snapshot.js';
import { backendName } from '../support/test-context.js';

const REDIRECT = 'https://rp.example.com/cb';

describe(`RFC 6749 §4.1.2.1 authorization endpoint bad input (${backendName})`, () => {
  let rig: RunningServer;
  const { challenge } = pkcePair();
  const good = { client_id: 'web', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256' };

  beforeAll(async () => {
    rig = await startTestServer();
    await createClient(rig.ctx, { client_id: 'web', client_secret: 'authorize-bad-input-secret-0123456789', redirect_uris: [REDIRECT, 'http://127.0.0.1/native'] });
    await createUser(rig.ctx, { username: 'erin', password: 'erin long password' });
  });
  afterAll(() => rig.close());

  const authorize = (params: Record<string, string | string[]>) => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) for (const v of [value].flat()) query.append(name, v);
    return fetch(`${rig.issuer}/authorize?${query}`, { redirect: 'manual' });
  };

  async function expectErrorPage(params: Record<string, string | string[]>, text: RegExp) {
    const before = await snapshot(rig.ctx.knex);
    const response = await authorize(params);
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(text);
    expect(await snapshot(rig.ctx.knex)).toEqual(before);
  }

  async function expectRedirectError(params: Record<string, string | string[]>, error: string) {
    const before = await snapshot(rig.ctx.knex);
    const response = await authorize(params);
    expect(response.status).toBeGreaterThanOrEqual(302);
    expect(response.status).toBeLessThan(304);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe(error);
    expect(location.searchParams.get('iss')).toBe(rig.issuer);
    if (typeof params.state === 'string') expect(location.searchParams.get('state')).toBe(params.state);
    expect(await snapshot(rig.ctx.knex)).toEqual(before);
  }

  describe('errors that must not redirect', () => {
    it('MUST NOT redirect for an unknown client_id', () => expectErrorPage({ ...good, client_id: 'nobody' }, /invalid client/i));
    it('MUST NOT redirect for a missing client_id', () => {
      const { client_id: _omit, ...rest } = good;
      return expectErrorPage(rest, /invalid client/i);
    });
    it('MUST NOT redirect to an unregistered redirect_uri', () => expectErrorPage({ ...good, redirect_uri: 'https://attacker.example/cb' }, /invalid redirect_uri/i));
    it('MUST compare redirect URIs exactly: a trailing slash differs', () => expectErrorPage({ ...good, redirect_uri: REDIRECT + '/' }, /invalid redirect_uri/i));
    it('MUST compare redirect URIs exactly: extra query parameters differ', () => expectErrorPage({ ...good, redirect_uri: REDIRECT + '?next=https://attacker.example' }, /invalid redirect_uri/i));
    it('MUST compare redirect URIs exactly: case in the path differs', () => expectErrorPage({ ...good, redirect_uri: 'https://rp.example.com/CB' }, /invalid redirect_uri/i));
    it('MUST NOT apply the port exception to non-loopback hosts', () => expectErrorPage({ ...good, redirect_uri: 'https://rp.example.com:8443/cb' }, /invalid redirect_uri/i));
    it('MUST NOT apply the loopback port exception to localhost by name', () => expectErrorPage({ ...good, redirect_uri: 'http://localhost:5000/native' }, /invalid redirect_uri/i));
    it('MUST NOT redirect when redirect_uri is missing', () => {
      const { redirect_uri: _omit, ...rest } = good;
      return expectErrorPage(rest, /invalid redirect_uri/i);
    });
    it('MUST NOT redirect when redirect_uri is repeated', () => expectErrorPage({ ...good, redirect_uri: [REDIRECT, REDIRECT] }, /invalid redirect_uri/i));
    it('escapes reflected input in the error page (no XSS)', async () => {
      const response = await authorize({ ...good, client_id: '<script>alert(1)</script>' });
      expect(await response.text()).not.toContain('<script>alert(1)</script>');
    });
  });

  describe('errors returned to the client with state and iss', () => {
    it('MUST answer a missing response_type with invalid_request', () => {
      const { response_type: _omit, ...rest } = good;
      return expectRedirectError(rest, 'invalid_request');
    });
    it('MUST answer response_type=token (implicit) with unsupported_response_type', () => expectRedirectError({ ...good, response_type: 'token' }, 'unsupported_response_type'));
    it('MUST answer the hybrid flow with unsupported_response_type', () => expectRedirectError({ ...good, response_type: 'code id_token' }, 'unsupported_response_type'));
    it('MUST refuse the plain PKCE method (S256 only)', () => expectRedirectError({ ...good, code_challenge_method: 'plain' }, 'invalid_request'));
    it('MUST require a code_challenge when PKCE is required', () => {
      const { code_challenge: _c, code_challenge_method: _m, ...rest } = good;
      return expectRedirectError(rest, 'invalid_request');
    });
    it('MUST reject a malformed code_challenge', () => expectRedirectError({ ...good, code_challenge: 'too-short' }, 'invalid_request'));
    it('MUST reject a repeated parameter', () => expectRedirectError({ ...good, scope: ['openid', 'openid'] }, 'invalid_request'));
    it('MUST reject an oversized state', async () => {
      const response = await authorize({ ...good, state: 'x'.repeat(5000) });
      const location = new URL(response.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_request');
    });
    it('MUST answer prompt=none without a session with login_required', () => expectRedirectError({ ...good, prompt: 'none' }, 'login_required'));
    it('MUST refuse a request object without the client_id', () => expectRedirectError({ ...good, request: 'eyJhbGciOiJub25lIn0.e30.' }, 'invalid_request_object'));
  });
});

describe(`RFC 6750 §3.1 userinfo bad input (${backendName})`, () => {
  let rig: RunningServer;
  beforeAll(async () => {
    rig = await startTestServer();
    await createClient(rig.ctx, { client_id: 'svc', client_secret: 'userinfo-bad-input-secret-0123456789', grant_types: ['client_credentials'] });
  });
  afterAll(() => rig.close());

  it('MUST answer a request without a token with 401 and a Bearer challenge', async () => {
    const response = await fetch(`${rig.issuer}/userinfo`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
  it('MUST answer an unknown token with 401 invalid_token', async () => {
    const response = await fetch(`${rig.issuer}/userinfo`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
  it('MUST NOT accept the access token in the query string', async () => {
    const response = await fetch(`${rig.issuer}/userinfo?access_token=abc`);
    expect(response.status).toBe(401);
  });
  it('MUST answer a client-credentials token with 403 insufficient_scope', async () => {
    const tokenResponse = await fetch(`${rig.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('svc:userinfo-bad-input-secret-0123456789').toString('base64')}` },
    });
    const { access_token } = await tokenResponse.json();
    const response = await fetch(`${rig.issuer}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
  });
  it('MUST reject a token sent both in the header and in the body', async () => {
    const response = await fetch(`${rig.issuer}/userinfo`, {
      method: 'POST',
      body: new URLSearchParams({ access_token: 'abc' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer abc' },
    });
    expect(response.status).toBe(400);
  });
});
