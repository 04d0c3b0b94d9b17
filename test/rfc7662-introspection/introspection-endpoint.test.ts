/**
 * POST /introspect end to end through the app: each token kind (opaque access, JWT access, refresh,
 * client credentials), every inactive state answered with exactly {"active": false}, the request
 * rules, the per-client rate limit, and no writes on the introspection path.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.3
 */
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashHandle } from '../../src/tokens/handles.js';
import request from 'supertest';
import { basic, storedState } from '../support/token-fixtures.js';
import { backendName } from '../support/test-context.js';
import { API, CALENDAR, lifecycleRig, type LifecycleRig } from '../support/token-lifecycle-fixtures.js';

describe(`RFC 7662 token introspection (${backendName})`, () => {
  let rig: LifecycleRig;
  beforeAll(async () => {
    rig = await lifecycleRig();
  });
  afterAll(() => rig.close());

  async function expectInactive(form: Record<string, string>, clientId = 'web') {
    const response = await rig.introspect(form, clientId);
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    // §2.2: an inactive token gets active false and SHOULD NOT get anything else.
    expect(response.body).toStrictEqual({ active: false });
  }

  describe('RFC 7662 §2.2 active tokens', () => {
    it('MUST describe an opaque access token with active, scope, client_id, username, token_type, exp, iat, sub, aud, iss', async () => {
      const tokens = await rig.codeTokens('web', { scope: 'openid offline_access' });
      const response = await rig.introspect({ token: tokens.access_token });
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const now = rig.ctx.clock();
      expect(response.body).toStrictEqual({
        active: true, scope: 'openid offline_access', client_id: 'web', username: 'erin', token_type: 'Bearer',
        exp: expect.any(Number), iat: expect.any(Number), sub: rig.user.id, aud: rig.ctx.config.issuer, iss: rig.ctx.config.issuer,
        auth_time: expect.any(Number),
      });
      expect(response.body.exp - response.body.iat).toBe(rig.ctx.config.accessTokenTtl);
      expect(Math.abs(response.body.iat - now)).toBeLessThanOrEqual(2);
    });

    it('MUST describe a JWT access token with the same claims the JWT carries, jti included', async () => {
      const tokens = await rig.codeTokens('web-jwt', { resource: [API, CALENDAR] });
      const claims = decodeJwt(tokens.access_token);
      const { body } = await rig.introspect({ token: tokens.access_token }, 'web-jwt');
      expect(body).toMatchObject({ active: true, token_type: 'Bearer', client_id: 'web-jwt', username: 'erin' });
      for (const name of ['jti', 'sub', 'aud', 'iss', 'exp', 'iat', 'scope', 'client_id', 'auth_time']) expect(body[name]).toEqual(claims[name]);
      expect(body.aud).toEqual([API, CALENDAR]);
    });

    it('MUST describe a refresh token, without token_type (it is not an access token type) or aud', async () => {
      const tokens = await rig.codeTokens('web');
      const { body } = await rig.introspect({ token: tokens.refresh_token!, token_type_hint: 'refresh_token' });
      expect(body).toStrictEqual({
        active: true, scope: 'openid offline_access', client_id: 'web', username: 'erin',
        exp: expect.any(Number), iat: expect.any(Number), sub: rig.user.id, iss: rig.ctx.config.issuer, auth_time: expect.any(Number),
      });
    });

    it('MUST describe a client credentials token with the client as sub and no username', async () => {
      const tokens = await rig.serviceTokens('svc', { scope: 'reports:read', resource: API });
      const { body } = await rig.introspect({ token: tokens.access_token }, 'svc');
      expect(body).toStrictEqual({
        active: true, scope: 'reports:read', client_id: 'svc', token_type: 'Bearer',
        exp: expect.any(Number), iat: expect.any(Number), sub: 'svc', aud: API, iss: rig.ctx.config.issuer,
      });
    });

    it('MUST extend the search to all token types when the hint is wrong, and ignore unknown hints', async () => {
      const tokens = await rig.codeTokens('web');
      expect((await rig.introspect({ token: tokens.access_token, token_type_hint: 'refresh_token' })).body.active).toBe(true);
      expect((await rig.introspect({ token: tokens.refresh_token!, token_type_hint: 'access_token' })).body.active).toBe(true);
      expect((await rig.introspect({ token: tokens.refresh_token!, token_type_hint: 'urn:example:unknown' })).body.active).toBe(true);
    });
  });

  describe('RFC 7662 §2.2 inactive tokens: exactly {"active": false}', () => {
    it('MUST answer an unknown opaque token with active false', () => expectInactive({ token: 'A'.repeat(43) }));
    it('MUST answer a string that only looks like a JWT with active false', () => expectInactive({ token: 'a.b.c' }));

    it('MUST answer a JWT signed with a key that is not ours with active false', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT({ client_id: 'web', scope: 'openid', jti: 'forged' })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: (await rig.ctx.keystore.jwks()).keys[0].kid as string })
        .setIssuer(rig.ctx.config.issuer).setSubject(rig.user.id).setAudience(rig.ctx.config.issuer).setIssuedAt().setExpirationTime('1h').sign(privateKey);
      await expectInactive({ token: forged });
    });

    it('MUST answer a JWT whose payload was altered with active false', async () => {
      const tokens = await rig.codeTokens('web-jwt');
      const [header, payload, signature] = tokens.access_token.split('.');
      const altered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), scope: 'openid admin' })).toString('base64url');
      await expectInactive({ token: `${header}.${altered}.${signature}` }, 'web-jwt');
    });

    it('MUST answer another client\'s token with active false (opaque, JWT and refresh)', async () => {
      const opaque = await rig.codeTokens('web');
      const jwt = await rig.codeTokens('web-jwt');
      await expectInactive({ token: opaque.access_token }, 'other');
      await expectInactive({ token: opaque.refresh_token! }, 'other');
      await expectInactive({ token: jwt.access_token }, 'other');
      // Still active for its owner: the foreign request changed nothing.
      expect((await rig.introspect({ token: opaque.access_token })).body.active).toBe(true);
    });

    it('MUST answer an expired access token (opaque and JWT) with active false', async () => {
      const opaque = await rig.codeTokens('web');
      const jwt = await rig.codeTokens('web-jwt');
      rig.ctx.clock.advance(rig.ctx.config.accessTokenTtl + 1);
      try {
        await expectInactive({ token: opaque.access_token });
        await expectInactive({ token: jwt.access_token }, 'web-jwt');
        // The refresh token outlives the access token.
        expect((await rig.introspect({ token: opaque.refresh_token! })).body.active).toBe(true);
      } finally {
        rig.ctx.clock.advance(-(rig.ctx.config.accessTokenTtl + 1));
      }
    });

    it('MUST answer an expired refresh token with active false', async () => {
      const tokens = await rig.codeTokens('web');
      rig.ctx.clock.advance(rig.ctx.config.refreshTokenTtl + 1);
      try {
        await expectInactive({ token: tokens.refresh_token! });
      } finally {
        rig.ctx.clock.advance(-(rig.ctx.config.refreshTokenTtl + 1));
      }
    });

    it('MUST answer every token of a revoked grant with active false', async () => {
      const opaque = await rig.codeTokens('web');
      const grantId = (await rig.ctx.stores.refreshTokens.find(hashHandle(opaque.refresh_token!)))!.grantId;
      await rig.ctx.stores.grants.revoke(grantId, 'test', rig.ctx.clock());
      await expectInactive({ token: opaque.access_token });
      await expectInactive({ token: opaque.refresh_token! });
    });

    it('MUST answer a rotated (consumed) refresh token with active false; its successor is active', async () => {
      const first = await rig.codeTokens('web');
      const second = await rig.refresh(first.refresh_token!);
      await expectInactive({ token: first.refresh_token! });
      expect((await rig.introspect({ token: second.refresh_token! })).body.active).toBe(true);
    });

    it('MUST answer an access token revoked on its own with active false', async () => {
      const tokens = await rig.codeTokens('web');
      expect((await rig.revoke({ token: tokens.access_token })).status).toBe(200);
      await expectInactive({ token: tokens.access_token });
    });
  });

  describe('RFC 7662 §2.1 request rules', () => {
    it('MUST require client authentication: none at all is 401 invalid_client', async () => {
      const response = await rig.introspect({ token: 'x' }, 'public');
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_client');
    });

    it('MUST refuse an unknown client and a wrong secret with 401 invalid_client', async () => {
      const unknown = await rig.introspect({ token: 'x' }, 'nobody');
      expect(unknown.status).toBe(401);
      expect(unknown.body.error).toBe('invalid_client');
      const wrong = await request(rig.app).post('/introspect').type('form').set('authorization', basic('web', 'w'.repeat(40))).send('token=x');
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_client');
    });

    it('MUST NOT write anything while introspecting (no state change, no audit rows)', async () => {
      const tokens = await rig.codeTokens('web');
      const before = await storedState(rig.ctx);
      await rig.introspect({ token: tokens.access_token });
      await rig.introspect({ token: tokens.refresh_token! });
      await rig.introspect({ token: 'unknown' });
      await rig.introspect({ token: tokens.access_token }, 'other');
      expect(await storedState(rig.ctx)).toEqual(before);
    });
  });
});

describe(`RFC 7662 §4 introspection rate limit per client (${backendName})`, () => {
  let rig: LifecycleRig;
  beforeAll(async () => {
    rig = await lifecycleRig({ rateLimitIntrospection: { points: 2, duration: 60 } });
  });
  afterAll(() => rig.close());

  it('MUST refuse a client past its limit with 429 and Retry-After, and count each client apart', async () => {
    for (let i = 0; i < 2; i += 1) {
      const allowed = await rig.introspect({ token: 'x' });
      expect(allowed.status).toBe(200);
      expect(allowed.headers['x-ratelimit-limit']).toBe('2');
    }
    const refused = await rig.introspect({ token: 'x' });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('too_many_requests');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another client has its own budget.
    expect((await rig.introspect({ token: 'x' }, 'other')).status).toBe(200);
  });
});
