/**
 * Bad input at the introspection and revocation endpoints, and bad resource indicators at the
 * token endpoint, each answered with the spec's error; a rejected request changes nothing stored.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.3
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { snapshot } from '../support/store-snapshot.js';
import { backendName } from '../support/test-context.js';

const SECRET = 'bad-input-secret-0123456789abcdefghijkl';
const API = 'https://api.example/';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe(`token lifecycle bad input (${backendName})`, () => {
  let rig: RunningServer;
  let token: string;

  const post = (path: string, body: Record<string, string | string[]>, headers: Record<string, string> = { authorization: basic('svc', SECRET) }) => {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(body)) for (const v of [value].flat()) form.append(name, v);
    return fetch(`${rig.issuer}${path}`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  };

  async function expectError(send: () => Promise<Response>, status: number, error: string) {
    const before = await snapshot(rig.ctx.knex);
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect((await response.json()).error).toBe(error);
    expect(await snapshot(rig.ctx.knex)).toEqual(before);
    return response;
  }

  beforeAll(async () => {
    rig = await startTestServer();
    await createClient(rig.ctx, { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], resources: [API] });
    await createClient(rig.ctx, { client_id: 'svc2', client_secret: SECRET, grant_types: ['client_credentials'] });
    token = (await (await post('/token', { grant_type: 'client_credentials' })).json()).access_token;
  });
  afterAll(() => rig.close());

  for (const [path, label] of [['/introspect', 'RFC 7662 §2.1 introspection'], ['/revoke', 'RFC 7009 §2.1 revocation']] as const) {
    describe(`${label} request syntax`, () => {
      it('MUST reject a missing token with invalid_request', () => expectError(() => post(path, {}), 400, 'invalid_request'));
      it('MUST treat an empty token as missing', () => expectError(() => post(path, { token: '' }), 400, 'invalid_request'));
      it('MUST reject a repeated token', () => expectError(() => post(path, { token: [token, token] }), 400, 'invalid_request'));
      it('MUST reject a repeated token_type_hint', () => expectError(() => post(path, { token, token_type_hint: ['access_token', 'refresh_token'] }), 400, 'invalid_request'));
      it('MUST reject an oversized token', () => expectError(() => post(path, { token: 'x'.repeat(9000) }), 400, 'invalid_request'));
      it('MUST reject an oversized token_type_hint', () => expectError(() => post(path, { token, token_type_hint: 'h'.repeat(200) }), 400, 'invalid_request'));
      it('MUST reject a body that is not form-encoded', () =>
        expectError(() => fetch(`${rig.issuer}${path}`, { method: 'POST', body: JSON.stringify({ token }), headers: { 'content-type': 'application/json', authorization: basic('svc', SECRET) } }), 400, 'invalid_request'));
      it('MUST refuse an oversized body', () => expectError(() => post(path, { token, pad: 'x'.repeat(70_000) }), 413, 'invalid_request'));
      it('MUST answer GET with 405 and Allow: POST', async () => {
        const response = await expectError(() => fetch(`${rig.issuer}${path}?token=${token}`, { headers: { authorization: basic('svc', SECRET) } }), 405, 'invalid_request');
        expect(response.headers.get('allow')).toBe('POST');
      });
    });

    describe(`${label} client authentication`, () => {
      it('MUST reject a request without client authentication', () => expectError(() => post(path, { token }, {}), 401, 'invalid_client'));
      it('MUST reject a wrong secret with 401 and a Basic challenge', async () => {
        const response = await expectError(() => post(path, { token }, { authorization: basic('svc', 'w'.repeat(40)) }), 401, 'invalid_client');
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
      });
      it('MUST reject a malformed Basic header', () => expectError(() => post(path, { token }, { authorization: 'Basic %%%' }), 401, 'invalid_client'));
      it('MUST reject two authentication methods at once', () => expectError(() => post(path, { token, client_id: 'svc', client_secret: SECRET }, { authorization: basic('svc', SECRET) }), 400, 'invalid_request'));
      it('MUST reject a client_id that differs from the Basic credentials', () => expectError(() => post(path, { token, client_id: 'svc2' }), 400, 'invalid_request'));
      it('MUST reject a client assertion that is not a JWT', () =>
        expectError(() => post(path, { token, client_id: 'svc', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'not-a-jwt' }, {}), 401, 'invalid_client'));
    });
  }

  describe('RFC 7662 §2.2 odd tokens are simply inactive', () => {
    it.each([
      ['an unsigned JWT', `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from('{"jti":"x"}').toString('base64url')}.`],
      ['a JWT with an unknown kid', `${Buffer.from('{"alg":"RS256","typ":"at+jwt","kid":"nope"}').toString('base64url')}.e30.c2ln`],
      ['non-ASCII text', 'jeton-été-🔑'],
      ['a SQL fragment', "' or 1=1 --"],
    ])('answers %s with {"active": false}', async (_label, value) => {
      const response = await post('/introspect', { token: value });
      expect(response.status).toBe(200);
      expect(await response.json()).toStrictEqual({ active: false });
    });
  });

  describe('RFC 7009 §2.1 another client\'s token', () => {
    it('MUST be refused with invalid_request and left unrevoked', async () => {
      await expectError(() => post('/revoke', { token }, { authorization: basic('svc2', SECRET) }), 400, 'invalid_request');
      expect(await (await post('/introspect', { token })).json()).toMatchObject({ active: true });
    });
  });

  describe('RFC 8707 §2 resource at the token endpoint', () => {
    const cc = (resource: string | string[]) => () => post('/token', { grant_type: 'client_credentials', resource });
    it('MUST answer a fragment with invalid_target', () => expectError(cc(`${API}#part`), 400, 'invalid_target'));
    it('MUST answer a relative URI with invalid_target', () => expectError(cc('/api'), 400, 'invalid_target'));
    it('MUST answer an unregistered resource with invalid_target', () => expectError(cc('https://other.example/'), 400, 'invalid_target'));
    it('MUST answer any resource from a client without registered resources with invalid_target', () =>
      expectError(() => post('/token', { grant_type: 'client_credentials', resource: API }, { authorization: basic('svc2', SECRET) }), 400, 'invalid_target'));
    it('MUST reject an oversized resource with invalid_request', () => expectError(cc(`${API}${'a'.repeat(3000)}`), 400, 'invalid_request'));
    it('MUST reject too many resources with invalid_request', () => expectError(cc(Array.from({ length: 17 }, (_, i) => `${API}${i}`)), 400, 'invalid_request'));
  });
});
