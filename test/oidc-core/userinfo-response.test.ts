/**
 * Signed UserInfo: a client that registered userinfo_signed_response_alg gets application/jwt,
 * signed with the server's active key of that alg, with iss and aud; every other client gets JSON.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerMetadata } from '../../src/oidc-discovery/provider-metadata.js';
import { createApp } from '../../src/server/app.js';
import type { GrantRecord, UserRecord } from '../../src/storage/stores.js';
import { mintAccessToken } from '../../src/tokens/access-token.js';
import { newId } from '../../src/tokens/handles.js';
import { SUPPORTED_ALGS } from '../../src/tokens/keystore.js';
import { registerClient, registerUser } from '../support/browser-flow.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`OIDC Core §5.3.2 signed UserInfo response (${backendName})`, () => {
  let ctx: TestContext;
  let app: ReturnType<typeof createApp>;
  let user: UserRecord;

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    ({ user } = await registerUser(ctx, { email: 'alice@example.com', email_verified: true }));
  });
  afterAll(() => ctx.close());

  async function tokenFor(clientId: string): Promise<string> {
    const now = ctx.clock();
    const grant: GrantRecord = {
      id: newId(), clientId, userId: user.id, scope: 'openid email', claims: null, resource: null, authTime: now, acr: null, amr: ['pwd'], sid: newId(),
      createdAt: now, expiresAt: now + 3600, revokedAt: null, revokedReason: null,
    };
    await ctx.stores.insertNewRows({ grants: [grant] });
    const issued = await mintAccessToken(ctx, { grant, scope: grant.scope, format: 'opaque', subject: user.id });
    await ctx.stores.insertNewRows({ accessTokens: [issued.record] });
    return issued.token;
  }

  const verify = async (jwt: string, audience: string) =>
    jwtVerify(jwt, createLocalJWKSet(await ctx.keystore.jwks()), { issuer: ctx.config.issuer, audience, currentDate: new Date(ctx.clock() * 1000) });

  it.each([...SUPPORTED_ALGS])('MUST answer application/jwt signed with the active %s key, with iss, aud and the claims', async (alg) => {
    const client = await registerClient(ctx, { userinfo_signed_response_alg: alg });
    const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${await tokenFor(client.clientId)}`).buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (chunk: Buffer) => (text += chunk.toString()));
      r.on('end', () => done(null, text));
    }).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/jwt/);
    expect(res.headers['cache-control']).toContain('no-store');
    const jwt = res.body as string;
    const header = decodeProtectedHeader(jwt);
    expect(header.alg).toBe(alg);
    const active = (await ctx.stores.keys.listAll()).find((k) => k.alg === alg && k.state === 'active');
    expect(header.kid).toBe(active?.kid);
    const { payload } = await verify(jwt, client.clientId);
    expect(payload).toMatchObject({ iss: ctx.config.issuer, aud: client.clientId, sub: user.id, email: 'alice@example.com', email_verified: true });
  });

  it('MUST answer plain JSON to a client that registered no userinfo_signed_response_alg', async () => {
    const client = await registerClient(ctx);
    const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${await tokenFor(client.clientId)}`).expect(200);
    expect(res.type).toBe('application/json');
    expect(res.body).toEqual({ sub: user.id, email: 'alice@example.com', email_verified: true });
  });

  it('MUST NOT let a signed answer for one client verify for another (aud)', async () => {
    const client = await registerClient(ctx, { userinfo_signed_response_alg: 'ES256' });
    const res = await request(app).post('/userinfo').set('Authorization', `Bearer ${await tokenFor(client.clientId)}`).buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (chunk: Buffer) => (text += chunk.toString()));
      r.on('end', () => done(null, text));
    }).expect(200);
    await expect(verify(res.body as string, 'another-client')).rejects.toThrow(/aud/);
  });

  it('MUST advertise the algs it signs with in userinfo_signing_alg_values_supported, never none', () => {
    const advertised = providerMetadata(ctx.config).userinfo_signing_alg_values_supported;
    expect(advertised).toEqual([...SUPPORTED_ALGS]);
    expect(advertised).not.toContain('none');
  });
});
