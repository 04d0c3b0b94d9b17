import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createApp } from '../../src/server/app.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { createUser } from '../../src/users/user-service.js';
import { dpopKey, dpopProof, type DpopKey } from '../support/dpop-proofs.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic, issueCode, postToken, REDIRECT, SECRET } from '../support/token-fixtures.js';

const ISSUER = 'http://localhost:3000';
const USERINFO_URL = `${ISSUER}/userinfo`;

describe(`RFC 9449 §7 DPoP at UserInfo (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  let user: UserRecord;
  let key: DpopKey;
  let otherKey: DpopKey;

  /** A DPoP-bound (or, without a key, bearer) access token from the code grant. */
  async function accessToken(clientId: string, bindTo?: DpopKey): Promise<string> {
    const issued = await issueCode(ctx, { clientId, userId: user.id, scope: 'openid email' });
    const headers: Record<string, string> = { authorization: basic(clientId, SECRET) };
    if (bindTo) headers.DPoP = await dpopProof(bindTo, { htu: `${ISSUER}/token`, iat: ctx.clock() });
    const response = await postToken(app, { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier }, headers);
    expect(response.body.token_type).toBe(bindTo ? 'DPoP' : 'Bearer');
    return response.body.access_token as string;
  }

  const userinfo = (authorization: string, proof?: string) => {
    const req = request(app).get('/userinfo').set('Authorization', authorization);
    return proof === undefined ? req : req.set('DPoP', proof);
  };
  const proofFor = (token: string, with_: DpopKey = key, extra: Partial<Parameters<typeof dpopProof>[1]> = {}) =>
    dpopProof(with_, { htm: 'GET', htu: USERINFO_URL, iat: ctx.clock(), accessToken: token, ...extra });

  function expectDpopChallenge(res: request.Response, error: string) {
    expect(res.status).toBe(401);
    expect(res.body.error).toBe(error);
    expect(res.headers['www-authenticate']).toMatch(new RegExp(`^DPoP error="${error}", error_description="[^"]+", error_uri="${ISSUER}/errors/${error}/[^"]+", algs="ES256 ES384 PS256 PS384 RS256 EdDSA"$`));
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    const common = { client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['authorization_code'] };
    await createClient(ctx, { client_id: 'web', ...common });
    await createClient(ctx, { client_id: 'web-jwt', ...common, access_token_format: 'jwt' });
    user = await createUser(ctx, { username: 'dora', password: 'dora has a long password', claims: { email: 'dora@example.com' } });
    key = await dpopKey('ES256');
    otherKey = await dpopKey('EdDSA');
  });
  afterAll(() => ctx.close());

  describe('RFC 9449 §7.1 the DPoP scheme', () => {
    it('MUST accept a bound token with the DPoP scheme and a proof by its key carrying ath', async () => {
      for (const clientId of ['web', 'web-jwt']) {
        const token = await accessToken(clientId, key);
        const res = await userinfo(`DPoP ${token}`, await proofFor(token));
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ sub: user.id, email: 'dora@example.com' });
      }
    });

    it('MUST refuse the DPoP scheme without a proof with 401 invalid_dpop_proof and a DPoP challenge', async () => {
      const token = await accessToken('web', key);
      expectDpopChallenge(await userinfo(`DPoP ${token}`), 'invalid_dpop_proof');
    });

    it('MUST refuse a proof without ath, or with the hash of another token', async () => {
      const token = await accessToken('web', key);
      expectDpopChallenge(await userinfo(`DPoP ${token}`, await proofFor(token, key, { accessToken: undefined })), 'invalid_dpop_proof');
      expectDpopChallenge(await userinfo(`DPoP ${token}`, await proofFor(token, key, { accessToken: 'another-token' })), 'invalid_dpop_proof');
    });

    it('MUST refuse a proof made for another URL or method', async () => {
      const token = await accessToken('web', key);
      expectDpopChallenge(await userinfo(`DPoP ${token}`, await proofFor(token, key, { htu: `${ISSUER}/token` })), 'invalid_dpop_proof');
      expectDpopChallenge(await userinfo(`DPoP ${token}`, await proofFor(token, key, { htm: 'POST' })), 'invalid_dpop_proof');
    });

    it('MUST refuse a valid proof by another key than the token is bound to with invalid_token', async () => {
      const token = await accessToken('web', key);
      expectDpopChallenge(await userinfo(`DPoP ${token}`, await proofFor(token, otherKey)), 'invalid_token');
    });

    it('MUST refuse an unbound token presented with the DPoP scheme', async () => {
      const token = await accessToken('web');
      expectDpopChallenge(await userinfo(`DPoP ${token}`, await proofFor(token)), 'invalid_token');
    });

    it('answers a malformed DPoP Authorization header with 400 invalid_request', async () => {
      const res = await userinfo('DPoP two words', await proofFor('two'));
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.headers['www-authenticate']).toMatch(/^DPoP error="invalid_request"/);
    });
  });

  describe('RFC 9449 §7.2 bound tokens are not bearer tokens', () => {
    it('MUST refuse a DPoP-bound token presented as a Bearer token, with or without a proof', async () => {
      const token = await accessToken('web', key);
      expectDpopChallenge(await userinfo(`Bearer ${token}`), 'invalid_token');
      expectDpopChallenge(await userinfo(`Bearer ${token}`, await proofFor(token)), 'invalid_token');
      const form = await request(app).post('/userinfo').type('form').send({ access_token: token });
      expectDpopChallenge(form, 'invalid_token');
    });

    it('keeps accepting an unbound token as a Bearer token, as before', async () => {
      const token = await accessToken('web');
      const res = await userinfo(`Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(res.headers['dpop-nonce']).toBeUndefined();
    });
  });

  describe('RFC 9449 §9 nonces at the resource', () => {
    let strict: TestContext;
    let strictApp: Express;
    beforeAll(async () => {
      strict = await createTestContext({ dpopNonceRequired: true });
      strictApp = createApp(strict);
      await createClient(strict, { client_id: 'web', client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['authorization_code'] });
    });
    afterAll(() => strict.close());

    it('MUST answer use_dpop_nonce with 401, a DPoP challenge and a DPoP-Nonce header, then accept the nonce', async () => {
      const strictUser = await createUser(strict, { username: 'nina', password: 'nina has a long password' });
      const issued = await issueCode(strict, { clientId: 'web', userId: strictUser.id, scope: 'openid' });
      const form = { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier };
      const tokenUrl = `${ISSUER}/token`;
      const refused = await postToken(strictApp, form, { authorization: basic('web', SECRET), DPoP: await dpopProof(key, { htu: tokenUrl, iat: strict.clock() }) });
      const nonce = refused.headers['dpop-nonce'];
      const tokens = await postToken(strictApp, form, { authorization: basic('web', SECRET), DPoP: await dpopProof(key, { htu: tokenUrl, iat: strict.clock(), nonce }) });
      const token = tokens.body.access_token as string;
      const get = (proof: string) => request(strictApp).get('/userinfo').set('Authorization', `DPoP ${token}`).set('DPoP', proof);
      const first = await get(await dpopProof(key, { htm: 'GET', htu: USERINFO_URL, iat: strict.clock(), accessToken: token }));
      expect(first.status).toBe(401);
      expect(first.headers['www-authenticate']).toMatch(/^DPoP error="use_dpop_nonce"/);
      expect(first.headers['dpop-nonce']).toBe(nonce);
      const second = await get(await dpopProof(key, { htm: 'GET', htu: USERINFO_URL, iat: strict.clock(), accessToken: token, nonce }));
      expect(second.status).toBe(200);
      expect(second.headers['dpop-nonce']).toBe(nonce);
    });
  });
});
