import type { Express } from 'express';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createApp } from '../../src/server/app.js';
import { TOKEN_PHASES } from '../../src/server/token-endpoint.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { accessTokenKey } from '../../src/tokens/access-token.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { createUser } from '../../src/users/user-service.js';
import { dpopKey, dpopProof, type DpopKey } from '../support/dpop-proofs.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic, issueCode, postToken, REDIRECT, SECRET, storedState } from '../support/token-fixtures.js';

const TOKEN_URL = 'http://localhost:3000/token';

describe(`RFC 9449 DPoP at the token endpoint (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  let user: UserRecord;
  let key: DpopKey;
  let otherKey: DpopKey;
  const proofHeader = async (with_: DpopKey = key, extra: Record<string, unknown> = {}) => ({ DPoP: await dpopProof(with_, { htu: TOKEN_URL, iat: ctx.clock(), ...extra }) });
  const credentials = (clientId: string): Record<string, string> => (clientId.startsWith('public') ? {} : { authorization: basic(clientId, SECRET) });
  const clientIdParam = (clientId: string) => (clientId.startsWith('public') ? { client_id: clientId } : {});

  async function codeGrant(clientId: string, headers: Record<string, string>, codeOptions: { dpopJkt?: string; scope?: string } = {}) {
    const issued = await issueCode(ctx, { clientId, userId: user.id, scope: codeOptions.scope ?? 'openid offline_access', dpopJkt: codeOptions.dpopJkt });
    return postToken(app, { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier, ...clientIdParam(clientId) }, { ...credentials(clientId), ...headers });
  }
  const refresh = (clientId: string, token: string, headers: Record<string, string>) =>
    postToken(app, { grant_type: 'refresh_token', refresh_token: token, ...clientIdParam(clientId) }, { ...credentials(clientId), ...headers });

  async function expectUnchanged(send: () => PromiseLike<{ status: number; body: { error?: string } }>, status: number, error: string) {
    const before = await storedState(ctx);
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.body.error).toBe(error);
    expect(await storedState(ctx)).toEqual(before);
  }

  const storedAccessToken = async (token: string) => ctx.stores.accessTokens.find((await accessTokenKey(ctx, token))!);

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    const common = { redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] };
    await createClient(ctx, { client_id: 'web', client_secret: SECRET, ...common, grant_types: [...common.grant_types, 'client_credentials'] });
    await createClient(ctx, { client_id: 'web-jwt', client_secret: SECRET, ...common, access_token_format: 'jwt' });
    await createClient(ctx, { client_id: 'web-dpop-only', client_secret: SECRET, ...common, dpop_bound_access_tokens: true });
    await createClient(ctx, { client_id: 'public-app', token_endpoint_auth_method: 'none', ...common });
    user = await createUser(ctx, { username: 'dora', password: 'dora has a long password' });
    key = await dpopKey('ES256');
    otherKey = await dpopKey('ES256');
  });
  afterAll(() => ctx.close());

  it('orders the DPoP hook after the grant check and before the grant runs (STYLE §2)', () => {
    const names = TOKEN_PHASES.map((phase) => phase.name);
    expect(names.indexOf('checkDpopProof')).toBe(names.indexOf('checkGrantAllowed') + 1);
    // The other extension hooks (RFC 8705 certificate binding) may sit between it and the grant.
    expect(names.indexOf('runGrant')).toBeGreaterThan(names.indexOf('checkDpopProof'));
  });

  describe('RFC 9449 §5 bound access tokens', () => {
    it('MUST bind the access token to the proof key: token_type DPoP and the thumbprint recorded with an opaque token', async () => {
      const response = await codeGrant('web', await proofHeader());
      expect(response.status).toBe(200);
      expect(response.body.token_type).toBe('DPoP');
      expect((await storedAccessToken(response.body.access_token))?.dpopJkt).toBe(key.jkt);
    });

    it('MUST put cnf.jkt into a bound JWT access token (§6.1)', async () => {
      const response = await codeGrant('web-jwt', await proofHeader());
      expect(response.body.token_type).toBe('DPoP');
      expect(decodeJwt(response.body.access_token).cnf).toEqual({ jkt: key.jkt });
      expect((await storedAccessToken(response.body.access_token))?.dpopJkt).toBe(key.jkt);
    });

    it('binds the tokens of every grant through the same phase: client credentials too', async () => {
      const response = await postToken(app, { grant_type: 'client_credentials' }, { ...credentials('web'), ...(await proofHeader()) });
      expect(response.status).toBe(200);
      expect(response.body.token_type).toBe('DPoP');
      expect((await storedAccessToken(response.body.access_token))?.dpopJkt).toBe(key.jkt);
    });

    it('keeps issuing bearer tokens, unbound, to a request without a proof', async () => {
      const response = await codeGrant('web', {});
      expect(response.body.token_type).toBe('Bearer');
      expect((await storedAccessToken(response.body.access_token))?.dpopJkt ?? null).toBeNull();
      const jwt = await codeGrant('web-jwt', {});
      expect(decodeJwt(jwt.body.access_token).cnf).toBeUndefined();
    });

    it('MUST refuse an invalid proof with 400 invalid_dpop_proof and use nothing up', async () => {
      const issued = await issueCode(ctx, { clientId: 'web', userId: user.id });
      const form = { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier };
      await expectUnchanged(async () => postToken(app, form, { ...credentials('web'), ...(await proofHeader(key, { htm: 'GET' })) }), 400, 'invalid_dpop_proof');
      // The code is still good for a request with a valid proof.
      expect((await postToken(app, form, { ...credentials('web'), ...(await proofHeader()) })).status).toBe(200);
    });
  });

  describe('RFC 9449 §5 refresh tokens', () => {
    it('MUST bind a public client\'s refresh token to the key and accept it only with a proof by that key', async () => {
      const first = await codeGrant('public-app', await proofHeader());
      expect(first.status).toBe(200);
      expect((await ctx.stores.refreshTokens.find(hashHandle(first.body.refresh_token)))?.dpopJkt).toBe(key.jkt);
      await expectUnchanged(() => refresh('public-app', first.body.refresh_token, {}), 400, 'invalid_dpop_proof');
      await expectUnchanged(async () => refresh('public-app', first.body.refresh_token, await proofHeader(otherKey)), 400, 'invalid_grant');
      const second = await refresh('public-app', first.body.refresh_token, await proofHeader());
      expect(second.status).toBe(200);
      expect(second.body.token_type).toBe('DPoP');
      expect((await ctx.stores.refreshTokens.find(hashHandle(second.body.refresh_token)))?.dpopJkt).toBe(key.jkt);
    });

    it('does not bind a confidential client\'s refresh token, but binds each refreshed access token to that request\'s proof', async () => {
      const first = await codeGrant('web', await proofHeader());
      expect((await ctx.stores.refreshTokens.find(hashHandle(first.body.refresh_token)))?.dpopJkt ?? null).toBeNull();
      const rebound = await refresh('web', first.body.refresh_token, await proofHeader(otherKey));
      expect(rebound.body.token_type).toBe('DPoP');
      expect((await storedAccessToken(rebound.body.access_token))?.dpopJkt).toBe(otherKey.jkt);
      const bearer = await refresh('web', rebound.body.refresh_token, {});
      expect(bearer.body.token_type).toBe('Bearer');
    });
  });

  describe('RFC 9449 §5.2 dpop_bound_access_tokens', () => {
    it('MUST refuse a token request without a proof from a client registered with dpop_bound_access_tokens', async () => {
      const issued = await issueCode(ctx, { clientId: 'web-dpop-only', userId: user.id });
      const form = { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier };
      await expectUnchanged(() => postToken(app, form, credentials('web-dpop-only')), 400, 'invalid_request');
      const bound = await postToken(app, form, { ...credentials('web-dpop-only'), ...(await proofHeader()) });
      expect(bound.body.token_type).toBe('DPoP');
    });
  });

  describe('RFC 9449 §10 dpop_jkt binds the authorization code', () => {
    it('MUST redeem a code requested with dpop_jkt only with a proof by that key', async () => {
      const issued = await issueCode(ctx, { clientId: 'web', userId: user.id, dpopJkt: key.jkt });
      const form = { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier };
      await expectUnchanged(() => postToken(app, form, credentials('web')), 400, 'invalid_dpop_proof');
      await expectUnchanged(async () => postToken(app, form, { ...credentials('web'), ...(await proofHeader(otherKey)) }), 400, 'invalid_grant');
      const response = await postToken(app, form, { ...credentials('web'), ...(await proofHeader()) });
      expect(response.status).toBe(200);
      expect(response.body.token_type).toBe('DPoP');
    });
  });

  describe('RFC 9449 §8 nonces at the token endpoint', () => {
    let strict: TestContext;
    let strictApp: Express;
    beforeAll(async () => {
      strict = await createTestContext({ dpopNonceRequired: true });
      strictApp = createApp(strict);
      await createClient(strict, { client_id: 'web', client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['client_credentials'] });
    });
    afterAll(() => strict.close());

    it('MUST answer use_dpop_nonce with a DPoP-Nonce header, then accept the proof carrying it and send a nonce again', async () => {
      const form = { grant_type: 'client_credentials' };
      const first = await postToken(strictApp, form, { ...credentials('web'), DPoP: await dpopProof(key, { htu: TOKEN_URL, iat: strict.clock() }) });
      expect(first.status).toBe(400);
      expect(first.body.error).toBe('use_dpop_nonce');
      const nonce = first.headers['dpop-nonce'];
      expect(nonce).toMatch(/^[\x21\x23-\x5B\x5D-\x7E]+$/);
      const second = await postToken(strictApp, form, { ...credentials('web'), DPoP: await dpopProof(key, { htu: TOKEN_URL, iat: strict.clock(), nonce }) });
      expect(second.status).toBe(200);
      expect(second.body.token_type).toBe('DPoP');
      expect(second.headers['dpop-nonce']).toBe(nonce);
    });
  });
});
