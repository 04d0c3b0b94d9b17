/**
 * Bad input at the token endpoint, each answered with the spec's error (RFC 6749 §5.2, RFC 7636
 * §4.6, RFC 7523 §3), and a check that a rejected request changed nothing stored.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { CodeIssuer, pkcePair } from '../support/code-issuer.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { snapshot } from '../support/store-snapshot.js';
import { backendName } from '../support/test-context.js';

const REDIRECT = 'http://127.0.0.1:9999/cb';
const SECRET = 'bad-input-secret-0123456789abcdefghijkl';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe(`RFC 6749 §5.2 token endpoint bad input (${backendName})`, () => {
  let rig: RunningServer;
  let codes: CodeIssuer;
  let signingKey: CryptoKey;

  const post = (body: Record<string, string | string[]>, headers: Record<string, string> = {}) => {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(body)) for (const v of [value].flat()) form.append(name, v);
    return fetch(`${rig.issuer}/token`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  };
  const asWeb = { authorization: basic('web', SECRET) };

  /** Sends the request, checks status and error code, and (unless `changes`) that nothing stored changed. */
  async function expectError(send: () => Promise<Response>, status: number, error: string, changes = false) {
    const before = await snapshot(rig.ctx.knex);
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    expect(body.error).toBe(error);
    if (!changes) expect(await snapshot(rig.ctx.knex)).toEqual(before);
    return body;
  }

  beforeAll(async () => {
    rig = await startTestServer();
    const common = { client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] };
    await createClient(rig.ctx, { client_id: 'web', ...common });
    await createClient(rig.ctx, { client_id: 'other', ...common });
    await createClient(rig.ctx, { client_id: 'public', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT], grant_types: ['authorization_code'] });
    await createClient(rig.ctx, { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'] });
    await createClient(rig.ctx, { client_id: 'hs', client_secret: SECRET, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_jwt' });
    const pair = await generateKeyPair('RS256', { extractable: true });
    signingKey = pair.privateKey;
    await createClient(rig.ctx, { client_id: 'pk', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'pk1', alg: 'RS256' }] } });
    await createUser(rig.ctx, { username: 'dana', password: 'dana long password' });
    codes = new CodeIssuer(rig.issuer, { username: 'dana', password: 'dana long password' });
  });
  afterAll(() => rig.close());

  const freshCode = async (clientId = 'web', scope = 'openid offline_access') => {
    const pkce = pkcePair();
    const code = await codes.code({ client_id: clientId, redirect_uri: REDIRECT, scope, code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    return { code, verifier: pkce.verifier };
  };
  const exchange = (c: { code: string; verifier: string }) => post({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier }, asWeb);
  const assertion = (claims: Record<string, unknown>, alg = 'RS256', key: CryptoKey | Uint8Array = signingKey) =>
    new SignJWT({ jti: crypto.randomUUID(), ...claims }).setProtectedHeader({ alg }).setIssuedAt().setExpirationTime('2m').sign(key);
  const jwtAuth = (clientId: string, jwt: string) => ({ grant_type: 'client_credentials', client_id: clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt });

  describe('request syntax', () => {
    it('MUST answer a missing grant_type with invalid_request', () => expectError(() => post({}, asWeb), 400, 'invalid_request'));
    it('MUST answer an unknown grant_type with unsupported_grant_type', () => expectError(() => post({ grant_type: 'urn:example:magic' }, asWeb), 400, 'unsupported_grant_type'));
    it('MUST NOT support the password grant (RFC 9700 §2.4)', () => expectError(() => post({ grant_type: 'password', username: 'dana', password: 'dana long password' }, asWeb), 400, 'unsupported_grant_type'));
    it('MUST NOT support the implicit flow as a grant', () => expectError(() => post({ grant_type: 'implicit' }, asWeb), 400, 'unsupported_grant_type'));
    it('MUST reject a repeated grant_type', () => expectError(() => post({ grant_type: ['authorization_code', 'authorization_code'], code: 'x', redirect_uri: REDIRECT }, asWeb), 400, 'invalid_request'));
    it('MUST reject a missing code', () => expectError(() => post({ grant_type: 'authorization_code', redirect_uri: REDIRECT }, asWeb), 400, 'invalid_request'));
    it('MUST reject a repeated code', () => expectError(() => post({ grant_type: 'authorization_code', code: ['a', 'b'], redirect_uri: REDIRECT }, asWeb), 400, 'invalid_request'));
    it('MUST reject an oversized code', () => expectError(() => post({ grant_type: 'authorization_code', code: 'x'.repeat(5000), redirect_uri: REDIRECT }, asWeb), 400, 'invalid_request'));
    it('MUST reject a malformed code_verifier (RFC 7636 §4.1)', () => expectError(() => post({ grant_type: 'authorization_code', code: 'abc', redirect_uri: REDIRECT, code_verifier: 'short' }, asWeb), 400, 'invalid_request'));
    it('MUST reject a body that is not form-encoded', () =>
      expectError(() => fetch(`${rig.issuer}/token`, { method: 'POST', body: JSON.stringify({ grant_type: 'client_credentials' }), headers: { 'content-type': 'application/json', ...asWeb } }), 400, 'invalid_request'));
    it('MUST refuse an oversized body', () => expectError(() => post({ grant_type: 'client_credentials', pad: 'x'.repeat(70_000) }, asWeb), 413, 'invalid_request'));
  });

  describe('authorization_code grant', () => {
    it('MUST reject an unknown code with invalid_grant', () => expectError(() => post({ grant_type: 'authorization_code', code: 'A'.repeat(43), redirect_uri: REDIRECT, code_verifier: pkcePair().verifier }, asWeb), 400, 'invalid_grant'));
    it('MUST reject a redirect_uri that differs from the authorization request', async () => {
      const c = await freshCode();
      await expectError(() => post({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT + '/', code_verifier: c.verifier }, asWeb), 400, 'invalid_grant');
    });
    it('MUST require redirect_uri when it was in the authorization request', async () => {
      const c = await freshCode();
      await expectError(() => post({ grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier }, asWeb), 400, 'invalid_request');
    });
    it('MUST reject a mismatching PKCE verifier (RFC 7636 §4.6)', async () => {
      const c = await freshCode();
      await expectError(() => exchange({ code: c.code, verifier: pkcePair().verifier }), 400, 'invalid_grant', true);
    });
    it('MUST reject a PKCE downgrade: challenge sent, verifier omitted', async () => {
      const c = await freshCode();
      await expectError(() => post({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT }, asWeb), 400, 'invalid_grant', true);
    });
    it('MUST reject another client\'s code without consuming it', async () => {
      const c = await freshCode('other');
      await expectError(() => exchange(c), 400, 'invalid_grant');
      const ok = await post({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier }, { authorization: basic('other', SECRET) });
      expect(ok.status).toBe(200);
    });
    it('MUST reject an expired code', async () => {
      const c = await freshCode();
      rig.ctx.clock.advance(rig.ctx.config.authorizationCodeTtl + 1);
      try {
        await expectError(() => exchange(c), 400, 'invalid_grant', true);
      } finally {
        rig.ctx.clock.advance(-(rig.ctx.config.authorizationCodeTtl + 1));
      }
    });
    it('MUST reject code reuse and revoke the tokens issued from the code', async () => {
      const c = await freshCode();
      const first = await (await exchange(c)).json();
      expect(first.access_token).toBeTruthy();
      await expectError(() => exchange(c), 400, 'invalid_grant', true);
      const userinfo = await fetch(`${rig.issuer}/userinfo`, { headers: { authorization: `Bearer ${first.access_token}` } });
      expect(userinfo.status).toBe(401);
      await expectError(() => post({ grant_type: 'refresh_token', refresh_token: first.refresh_token }, asWeb), 400, 'invalid_grant');
    });
  });

  describe('refresh_token grant', () => {
    it('MUST reject an unknown refresh token', () => expectError(() => post({ grant_type: 'refresh_token', refresh_token: 'B'.repeat(43) }, asWeb), 400, 'invalid_grant'));
    it('MUST reject another client\'s refresh token and leave the family intact', async () => {
      const tokens = await (await exchange(await freshCode())).json();
      await expectError(() => post({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { authorization: basic('other', SECRET) }), 400, 'invalid_grant');
      expect((await post({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, asWeb)).status).toBe(200);
    });
    it('MUST reject a scope broader than the original grant', async () => {
      const tokens = await (await exchange(await freshCode())).json();
      await expectError(() => post({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'openid offline_access email' }, asWeb), 400, 'invalid_scope');
    });
  });

  describe('client authentication (RFC 6749 §2.3, RFC 7523 §3)', () => {
    const cc = { grant_type: 'client_credentials' };
    it('MUST reject a wrong secret with 401 invalid_client and a WWW-Authenticate challenge', async () => {
      const before = await snapshot(rig.ctx.knex);
      const response = await post(cc, { authorization: basic('svc', 'wrong-secret-wrong-secret-wrong-secret') });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect((await response.json()).error).toBe('invalid_client');
      expect(await snapshot(rig.ctx.knex)).toEqual(before);
    });
    it('MUST reject an unknown client', () => expectError(() => post({ ...cc, client_id: 'nobody', client_secret: SECRET }), 401, 'invalid_client'));
    it('MUST reject a confidential client that does not authenticate', () => expectError(() => post({ ...cc, client_id: 'svc' }), 401, 'invalid_client'));
    it('MUST reject two authentication methods in one request', () => expectError(() => post({ ...cc, client_id: 'svc', client_secret: SECRET }, { authorization: basic('svc', SECRET) }), 400, 'invalid_request'));
    it('MUST reject a malformed Basic header', () => expectError(() => post(cc, { authorization: 'Basic !!!not-base64' }), 401, 'invalid_client'));
    it('MUST reject a method other than the registered one', () => expectError(() => post({ ...cc, client_id: 'svc', client_secret: SECRET }), 401, 'invalid_client'));
    it('MUST reject a client assertion that is not a JWT', () => expectError(() => post(jwtAuth('pk', 'not.a.jwt')), 401, 'invalid_client'));
    it('MUST reject an unsigned (alg none) assertion', async () => {
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'pk', sub: 'pk', aud: rig.issuer, exp: rig.ctx.clock() + 60, jti: 'n1' })).toString('base64url')}.`;
      await expectError(() => post(jwtAuth('pk', unsigned)), 401, 'invalid_client');
    });
    it('MUST reject an assertion whose aud is not this server', async () => expectError(async () => post(jwtAuth('pk', await assertion({ iss: 'pk', sub: 'pk', aud: 'https://elsewhere.example' }))), 401, 'invalid_client'));
    it('MUST reject an assertion whose iss is not the client', async () => expectError(async () => post(jwtAuth('pk', await assertion({ iss: 'svc', sub: 'pk', aud: rig.issuer }))), 401, 'invalid_client'));
    it('MUST reject a replayed assertion jti', async () => {
      const jwt = await assertion({ iss: 'pk', sub: 'pk', aud: rig.issuer });
      expect((await post(jwtAuth('pk', jwt))).status).toBe(200);
      await expectError(() => post(jwtAuth('pk', jwt)), 401, 'invalid_client');
    });
    it('MUST reject alg confusion: an HMAC assertion for a private_key_jwt client', async () => {
      const jwt = await assertion({ iss: 'pk', sub: 'pk', aud: rig.issuer }, 'HS256', new TextEncoder().encode(SECRET));
      await expectError(() => post(jwtAuth('pk', jwt)), 401, 'invalid_client');
    });
    it('MUST reject a client_secret_jwt assertion made with the wrong secret', async () => {
      const jwt = await assertion({ iss: 'hs', sub: 'hs', aud: rig.issuer }, 'HS256', new TextEncoder().encode('x'.repeat(40)));
      await expectError(() => post(jwtAuth('hs', jwt)), 401, 'invalid_client');
    });
  });

  describe('client_credentials grant', () => {
    it('MUST refuse client_credentials to a client not registered for it', () => expectError(() => post({ grant_type: 'client_credentials' }, asWeb), 400, 'unauthorized_client'));
    it('MUST refuse openid scope for client_credentials', () => expectError(() => post({ grant_type: 'client_credentials', scope: 'openid' }, { authorization: basic('svc', SECRET) }), 400, 'invalid_scope'));
    it('MUST refuse client_credentials to a public client', () => expectError(() => post({ grant_type: 'client_credentials', client_id: 'public' }), 400, 'unauthorized_client'));
  });
});
