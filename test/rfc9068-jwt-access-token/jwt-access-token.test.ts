/**
 * RFC 9068 JWT access tokens as minted for a user's grant, and how a presented JWT is recognised:
 * only our own signature, our issuer and the at+jwt type make it an access token.
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2.1 (typ at+jwt, signed, never alg none)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2.2 (required claims)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2.2.1 (auth_time, acr, amr)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-3 (default audience)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-4 (typ is checked, so an ID token is no access token)
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtAccessTokenClaims } from '../../src/rfc9068-jwt-access-token/jwt-access-token.js';
import type { GrantRecord } from '../../src/storage/stores.js';
import { findAccessToken, mintAccessToken } from '../../src/tokens/access-token.js';
import { newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`RFC 9068 JWT access tokens for a user (${backendName})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  const grant = (overrides: Partial<GrantRecord> = {}): GrantRecord => ({
    id: newId(), clientId: 'rp', userId: 'user-1', scope: 'openid profile', claims: null, resource: null,
    authTime: ctx.clock() - 30, acr: 'urn:castellan:acr:mfa', amr: ['pwd', 'otp'], sid: 'sid-1',
    createdAt: ctx.clock(), expiresAt: ctx.clock() + 3600, revokedAt: null, revokedReason: null, ...overrides,
  });
  const verify = async (jwt: string) =>
    (await jwtVerify(jwt, createLocalJWKSet(await ctx.keystore.jwks()), { issuer: ctx.config.issuer, typ: 'at+jwt', currentDate: new Date(ctx.clock() * 1000) })).payload;

  it('MUST be signed (never alg none) and typed at+jwt (§2.1)', async () => {
    const { token } = await mintAccessToken(ctx, { grant: grant(), scope: 'openid', format: 'jwt', subject: 'user-1' });
    const header = decodeProtectedHeader(token);
    expect(header.typ).toBe('at+jwt');
    expect(header.alg).toBe(ctx.config.signingAlg);
    expect(typeof header.kid).toBe('string');
  });

  it('MUST carry iss, exp, aud, sub, client_id, iat and jti, and the scope (§2.2, §2.2.3)', async () => {
    const { token, record } = await mintAccessToken(ctx, { grant: grant(), scope: 'openid profile', format: 'jwt', subject: 'user-1' });
    const claims = await verify(token);
    expect(claims).toMatchObject({ iss: ctx.config.issuer, sub: 'user-1', client_id: 'rp', scope: 'openid profile', jti: record.tokenHash, exp: record.expiresAt, iat: record.createdAt });
    expect(claims.aud).toBeDefined();
  });

  it('MAY carry auth_time, acr and amr of the authentication (§2.2.1)', async () => {
    const g = grant();
    const { token } = await mintAccessToken(ctx, { grant: g, scope: 'openid', format: 'jwt', subject: 'user-1' });
    expect(await verify(token)).toMatchObject({ auth_time: g.authTime, acr: 'urn:castellan:acr:mfa', amr: ['pwd', 'otp'] });
  });

  it('MUST NOT carry auth_time, acr or amr for a client acting for itself (§2.2.1)', () => {
    const own = grant({ userId: null, authTime: null, acr: null, amr: null });
    const claims = jwtAccessTokenClaims(ctx.config.issuer, { grant: own, scope: 'api:read', audience: ['https://a.example/', 'https://b.example/'], subject: 'rp', issuedAt: 1, expiresAt: 2, jti: 'j' });
    expect(claims).toEqual({ iss: ctx.config.issuer, sub: 'rp', aud: ['https://a.example/', 'https://b.example/'], client_id: 'rp', scope: 'api:read', iat: 1, exp: 2, jti: 'j' });
  });

  it('MUST use a default audience (the issuer) when no resource was requested (§3)', async () => {
    const { token } = await mintAccessToken(ctx, { grant: grant(), scope: 'openid', format: 'jwt', subject: 'user-1' });
    expect((await verify(token)).aud).toBe(ctx.config.issuer);
    const narrowed = await mintAccessToken(ctx, { grant: grant(), scope: 'openid', format: 'jwt', subject: 'user-1', audience: ['https://api.example/'] });
    expect((await verify(narrowed.token)).aud).toBe('https://api.example/');
  });

  it('MUST NOT take a JWT of another type (an ID token) signed by our key for an access token (§4)', async () => {
    const issued = await mintAccessToken(ctx, { grant: grant(), scope: 'openid', format: 'jwt', subject: 'user-1' });
    await ctx.stores.insertNewRows({ accessTokens: [issued.record] });
    expect(await findAccessToken(ctx, issued.token)).toBeDefined();
    const sameClaimsAsIdToken = await ctx.keystore.sign({ iss: ctx.config.issuer, sub: 'user-1', aud: 'rp', jti: issued.record.tokenHash, iat: ctx.clock(), exp: ctx.clock() + 60 }, { alg: ctx.config.signingAlg });
    expect(await findAccessToken(ctx, sameClaimsAsIdToken)).toBeUndefined();
  });
});
