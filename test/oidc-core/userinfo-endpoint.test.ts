import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import type { GrantRecord, UserRecord } from '../../src/storage/stores.js';
import { mintAccessToken } from '../../src/tokens/access-token.js';
import { newId } from '../../src/tokens/handles.js';
import { DPOP_SIGNING_ALGS } from '../../src/rfc9449-dpop/dpop-proof.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { registerClient, registerUser } from '../support/browser-flow.js';

describe(`OIDC Core §5.3 UserInfo endpoint (${backendName})`, () => {
  let ctx: TestContext;
  let app: ReturnType<typeof createApp>;
  let user: UserRecord;
  let clientId: string;

  const claims = {
    name: 'Alice Example', given_name: 'Alice', family_name: 'Example', email: 'alice@example.com', email_verified: true,
    phone_number: '+1 555 0100', address: { country: 'NZ' }, birthdate: '1990-01-01',
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    ({ user } = await registerUser(ctx, claims));
    clientId = (await registerClient(ctx)).clientId;
  });
  afterAll(() => ctx.close());

  async function grantFor(scope: string, options: Partial<GrantRecord> = {}): Promise<GrantRecord> {
    const now = ctx.clock();
    const grant: GrantRecord = {
      id: newId(), clientId, userId: user.id, scope, claims: null, resource: null, authTime: now, acr: null, amr: ['pwd'], sid: newId(),
      createdAt: now, expiresAt: now + 3600, revokedAt: null, revokedReason: null, ...options,
    };
    await ctx.stores.insertNewRows({ grants: [grant] });
    return grant;
  }

  async function tokenFor(scope: string, options: Partial<GrantRecord> = {}, format: 'opaque' | 'jwt' = 'opaque') {
    const grant = await grantFor(scope, options);
    const issued = await mintAccessToken(ctx, { grant, scope, format, subject: grant.userId ?? clientId });
    await ctx.stores.insertNewRows({ accessTokens: [issued.record] });
    return { token: issued.token, grant };
  }

  it('MUST return sub and the claims of the granted scopes over GET with a Bearer header', async () => {
    const { token } = await tokenFor('openid email');
    const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.type).toBe('application/json');
    expect(res.headers['cache-control']).toContain('no-store');
    expect(res.body).toEqual({ sub: user.id, email: 'alice@example.com', email_verified: true });
  });

  it('MUST release profile, address and phone claims only for their scopes', async () => {
    const { token } = await tokenFor('openid profile address phone');
    const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.body).toMatchObject({ sub: user.id, name: 'Alice Example', given_name: 'Alice', birthdate: '1990-01-01', address: { country: 'NZ' }, phone_number: '+1 555 0100' });
    expect(res.body.email).toBeUndefined();
  });

  it('MUST accept POST with a Bearer header and POST with a form-body access_token (RFC 6750 §2.2)', async () => {
    const { token } = await tokenFor('openid');
    const header = await request(app).post('/userinfo').set('Authorization', `Bearer ${token}`).expect(200);
    expect(header.body).toEqual({ sub: user.id });
    const body = await request(app).post('/userinfo').type('form').send({ access_token: token }).expect(200);
    expect(body.body).toEqual({ sub: user.id });
  });

  it('MUST accept a JWT access token', async () => {
    const { token } = await tokenFor('openid email', {}, 'jwt');
    const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.body.email).toBe('alice@example.com');
  });

  it('MUST add claims requested under claims.userinfo', async () => {
    const { token } = await tokenFor('openid', { claims: { userinfo: { email: { essential: true }, name: null }, id_token: { birthdate: null } } });
    const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.body).toEqual({ sub: user.id, email: 'alice@example.com', name: 'Alice Example' });
  });

  describe('RFC 6750 §3 errors', () => {
    it('MUST answer a request without a token with 401 and a challenge without an error code', async () => {
      const res = await request(app).get('/userinfo').expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="castellan", DPoP algs="[^"]+"$/);
      expect(res.headers['www-authenticate']).not.toContain('error=');
    });

    it('MUST challenge a request without credentials in both schemes, the DPoP one naming its algs (RFC 9449 §7.1)', async () => {
      const res = await request(app).post('/userinfo').type('form').send({}).expect(401);
      const challenges = res.headers['www-authenticate'];
      expect(challenges).toContain('Bearer realm="castellan"');
      expect(challenges).toContain(`DPoP algs="${DPOP_SIGNING_ALGS.join(' ')}"`);
    });

    it('MUST answer an unknown token with 401 invalid_token', async () => {
      const res = await request(app).get('/userinfo').set('Authorization', 'Bearer not-a-real-token').expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token", error_description="[^"]+"/);
      expect(res.body.error).toBe('invalid_token');
    });

    it('MUST answer an expired token with 401 invalid_token', async () => {
      const { token } = await tokenFor('openid');
      ctx.clock.advance(ctx.config.accessTokenTtl + 1);
      const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${token}`).expect(401);
      expect(res.body.error).toBe('invalid_token');
    });

    it('MUST answer a token of a revoked grant with 401 invalid_token', async () => {
      const { token, grant } = await tokenFor('openid');
      await ctx.stores.grants.revoke(grant.id, 'test', ctx.clock());
      const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${token}`).expect(401);
      expect(res.body.error).toBe('invalid_token');
    });

    it('MUST answer a token narrowed to another resource with 401 invalid_token (RFC 8707 §2)', async () => {
      const grant = await grantFor('openid email', { resource: ['https://api.example/'] });
      const issued = await mintAccessToken(ctx, { grant, scope: 'openid email', format: 'opaque', audience: ['https://api.example/'], subject: user.id });
      await ctx.stores.insertNewRows({ accessTokens: [issued.record] });
      const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${issued.token}`).expect(401);
      expect(res.body.error).toBe('invalid_token');
      // The same grant's token for the OP itself still works.
      const own = await mintAccessToken(ctx, { grant, scope: 'openid email', format: 'opaque', audience: [ctx.config.issuer], subject: user.id });
      await ctx.stores.insertNewRows({ accessTokens: [own.record] });
      await request(app).get('/userinfo').set('Authorization', `Bearer ${own.token}`).expect(200);
    });

    it('MUST answer a token without openid with 403 insufficient_scope', async () => {
      const { token } = await tokenFor('email');
      const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${token}`).expect(403);
      expect(res.body.error).toBe('insufficient_scope');
      expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    });

    it('MUST answer a client-credentials token (no user) with 403 insufficient_scope', async () => {
      const { token } = await tokenFor('openid', { userId: null, authTime: null });
      const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${token}`).expect(403);
      expect(res.body.error).toBe('insufficient_scope');
    });

    it('MUST answer a malformed Bearer header with 400 invalid_request and a challenge naming it (RFC 6750 §2.1, §3.1)', async () => {
      const res = await request(app).get('/userinfo').set('Authorization', 'Bearer two words').expect(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="castellan", error="invalid_request"/);
    });

    it('MUST reject a token sent both in the header and the body with invalid_request', async () => {
      const { token } = await tokenFor('openid');
      const res = await request(app).post('/userinfo').set('Authorization', `Bearer ${token}`).type('form').send({ access_token: token }).expect(400);
      expect(res.body.error).toBe('invalid_request');
    });

    it('MUST NOT accept a token in the query string (OAuth 2.1: never read, so no credentials)', async () => {
      const { token } = await tokenFor('openid');
      const res = await request(app).get(`/userinfo?access_token=${token}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="castellan", DPoP algs=/);
    });

    it('MUST NOT read a form-body token on GET', async () => {
      const { token } = await tokenFor('openid');
      const res = await request(app).get('/userinfo').type('form').send({ access_token: token });
      expect(res.status).toBe(401);
    });
  });
});
