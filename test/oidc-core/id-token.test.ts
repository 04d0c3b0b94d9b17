import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { accessTokenHash, mintIdToken } from '../../src/oidc-core/id-token.js';
import type { ClientRecord, GrantRecord, UserRecord } from '../../src/storage/stores.js';
import { newId } from '../../src/tokens/handles.js';
import { createUser } from '../../src/users/user-service.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { REDIRECT, SECRET } from '../support/token-fixtures.js';

describe(`OIDC Core §2 ID token (${backendName})`, () => {
  let ctx: TestContext;
  let rsClient: ClientRecord;
  let esClient: ClientRecord;
  let user: UserRecord;

  const grant = (overrides: Partial<GrantRecord> = {}): GrantRecord => ({
    id: newId(), clientId: rsClient.clientId, userId: user.id, scope: 'openid profile email', claims: null, resource: null,
    authTime: ctx.clock() - 120, acr: 'urn:castellan:acr:pwd', amr: ['pwd', 'otp'], sid: 'sid-123',
    createdAt: ctx.clock(), expiresAt: ctx.clock() + 3600, revokedAt: null, revokedReason: null, ...overrides,
  });
  const verify = async (jwt: string, audience: string) =>
    (await jwtVerify(jwt, createLocalJWKSet(await ctx.keystore.jwks()), { issuer: ctx.config.issuer, audience, currentDate: new Date(ctx.clock() * 1000) })).payload;

  beforeAll(async () => {
    ctx = await createTestContext();
    rsClient = (await createClient(ctx, { client_id: 'rp-rs', client_secret: SECRET, redirect_uris: [REDIRECT], backchannel_logout_uri: 'https://rp.example/backchannel' })).record;
    esClient = (await createClient(ctx, { client_id: 'rp-es', client_secret: SECRET, redirect_uris: [REDIRECT], id_token_signed_response_alg: 'ES256' })).record;
    user = await createUser(ctx, { username: 'carol', password: 'carol long password', claims: { email: 'carol@example.com', email_verified: true, name: 'Carol', phone_number: '+1 555' } });
  });
  afterAll(() => ctx.close());

  it('carries sid only to clients that registered a backchannel_logout_uri (Back-Channel Logout §2.1)', async () => {
    const claims = await verify(await mintIdToken(ctx, { grant: grant({ clientId: esClient.clientId }), client: esClient, user, nonce: null }), 'rp-es');
    expect(claims.sid).toBeUndefined();
    expect(claims.auth_time).toBeDefined();
  });

  it('MUST carry iss, sub, aud, exp, iat, auth_time, nonce, azp, sid, acr and amr (§2, §3.1.3.6)', async () => {
    const g = grant();
    const before = ctx.clock();
    const jwt = await mintIdToken(ctx, { grant: g, client: rsClient, user, nonce: 'n-0S6_WzA2Mj', accessToken: 'at' });
    const claims = await verify(jwt, 'rp-rs');
    expect(claims).toMatchObject({
      iss: ctx.config.issuer, sub: user.id, aud: 'rp-rs', azp: 'rp-rs',
      auth_time: g.authTime, nonce: 'n-0S6_WzA2Mj', sid: 'sid-123', acr: 'urn:castellan:acr:pwd', amr: ['pwd', 'otp'],
    });
    // The test clock follows wall time, so a second may pass while signing.
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(ctx.clock());
    expect(claims.exp).toBe((claims.iat as number) + ctx.config.idTokenTtl);
  });

  it('MUST be signed with RS256 by default and name its key with kid', async () => {
    const jwt = await mintIdToken(ctx, { grant: grant(), client: rsClient, user });
    const header = decodeProtectedHeader(jwt);
    expect(header.alg).toBe('RS256');
    expect((await ctx.keystore.jwks()).keys.map((k) => k.kid)).toContain(header.kid);
  });

  it('MUST use the client\'s registered id_token_signed_response_alg', async () => {
    const jwt = await mintIdToken(ctx, { grant: grant({ clientId: 'rp-es' }), client: esClient, user, accessToken: 'abc' });
    expect(decodeProtectedHeader(jwt).alg).toBe('ES256');
    const claims = await verify(jwt, 'rp-es');
    expect(claims.at_hash).toBe(accessTokenHash('abc', 'ES256'));
  });

  it.each(['PS256', 'EdDSA'] as const)('MUST sign with the registered %s and verify against the published JWKS', async (alg) => {
    const client = (await createClient(ctx, { client_id: `rp-${alg}`, client_secret: SECRET, redirect_uris: [REDIRECT], id_token_signed_response_alg: alg })).record;
    const jwt = await mintIdToken(ctx, { grant: grant({ clientId: client.clientId }), client, user, accessToken: 'abc' });
    const header = decodeProtectedHeader(jwt);
    expect(header.alg).toBe(alg);
    const published = (await ctx.keystore.jwks()).keys.find((k) => k.kid === header.kid);
    expect(published).toMatchObject(alg === 'EdDSA' ? { kty: 'OKP', crv: 'Ed25519', alg } : { kty: 'RSA', alg });
    const claims = await verify(jwt, client.clientId);
    // Ed25519 hashes with SHA-512, so at_hash is the left 32 bytes of the SHA-512 digest.
    expect(claims.at_hash).toBe(accessTokenHash('abc', alg));
    expect(Buffer.from(claims.at_hash as string, 'base64url')).toHaveLength(alg === 'EdDSA' ? 32 : 16);
  });

  it('MUST compute at_hash as the left half of SHA-256 of the access token (OIDC Core Appendix A.4 vector)', async () => {
    // OIDC Core A.4: access_token jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y has at_hash 77QmUPtjPfzWtF2AnpK9RQ.
    expect(accessTokenHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ');
    const jwt = await mintIdToken(ctx, { grant: grant(), client: rsClient, user, accessToken: 'jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y' });
    expect((await verify(jwt, 'rp-rs')).at_hash).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });

  it('omits nonce when none was sent, and auth_time when the grant has none', async () => {
    const claims = await verify(await mintIdToken(ctx, { grant: grant({ authTime: null, acr: null, amr: null, sid: null }), client: rsClient, user, nonce: null }), 'rp-rs');
    for (const name of ['nonce', 'auth_time', 'acr', 'amr', 'sid', 'at_hash']) expect(claims[name]).toBeUndefined();
  });

  it('MUST NOT put scope-derived claims in the ID token when an access token is issued (§5.4)', async () => {
    const claims = await verify(await mintIdToken(ctx, { grant: grant(), client: rsClient, user, accessToken: 'at' }), 'rp-rs');
    for (const name of ['email', 'email_verified', 'name']) expect(claims[name]).toBeUndefined();
  });

  it('puts the scope claims in the ID token when no access token is issued', async () => {
    const claims = await verify(await mintIdToken(ctx, { grant: grant(), client: rsClient, user }), 'rp-rs');
    expect(claims).toMatchObject({ email: 'carol@example.com', email_verified: true, name: 'Carol' });
    expect(claims.phone_number).toBeUndefined();
  });

  it('MUST include user claims the claims parameter requested for the ID token (§5.5)', async () => {
    const g = grant({ scope: 'openid', claims: { id_token: { email: { essential: true }, phone_number: null, sub: { value: 'someone-else' } }, userinfo: { name: null } } });
    const claims = await verify(await mintIdToken(ctx, { grant: g, client: rsClient, user, accessToken: 'at' }), 'rp-rs');
    expect(claims).toMatchObject({ email: 'carol@example.com', phone_number: '+1 555', sub: user.id });
    expect(claims.name).toBeUndefined();
  });
});
