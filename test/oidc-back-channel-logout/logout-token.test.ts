/**
 * Back-Channel Logout 1.0 §2.4: the logout token's claims and header, verified with the provider's
 * own published keys as a relying party would.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import {
  BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TTL, logoutTokenClaims, mintLogoutToken,
} from '../../src/oidc-back-channel-logout/logout-token.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`Back-Channel Logout §2.4 logout token (${backendName})`, () => {
  let ctx: TestContext;
  let rs256: ClientRecord;
  let es256: ClientRecord;
  let sessionRequired: ClientRecord;

  const base = { redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'none', backchannel_logout_uri: 'https://rp.example/bc' };

  beforeAll(async () => {
    ctx = await createTestContext();
    rs256 = (await createClient(ctx, { ...base, client_id: 'rs-client' })).record;
    es256 = (await createClient(ctx, { ...base, client_id: 'es-client', id_token_signed_response_alg: 'ES256' })).record;
    sessionRequired = (await createClient(ctx, { ...base, client_id: 'sid-client', backchannel_logout_session_required: true })).record;
  });
  afterAll(() => ctx.close());

  async function verify(token: string, audience: string) {
    return jwtVerify(token, createLocalJWKSet(await ctx.keystore.jwks()), { issuer: ctx.config.issuer, audience, typ: 'logout+jwt' });
  }

  it('MUST carry iss, aud, iat, jti and the backchannel-logout event (an empty object), signed with a published key', async () => {
    const before = ctx.clock();
    const token = await mintLogoutToken(ctx, rs256, { sub: 'user-1', sid: 'sid-1' });
    const after = ctx.clock();
    const { payload, protectedHeader } = await verify(token, 'rs-client');
    expect(protectedHeader.alg).toBe('RS256');
    expect(typeof protectedHeader.kid).toBe('string');
    expect(payload.iss).toBe(ctx.config.issuer);
    expect(payload.aud).toBe('rs-client');
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(after);
    expect(typeof payload.jti).toBe('string');
    expect(payload.events).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
    expect(payload.sub).toBe('user-1');
    expect(payload.sid).toBe('sid-1');
  });

  it('MUST NOT contain a nonce', async () => {
    const { payload } = await verify(await mintLogoutToken(ctx, rs256, { sub: 'user-1', sid: 'sid-1' }), 'rs-client');
    expect(payload).not.toHaveProperty('nonce');
  });

  it('is explicitly typed logout+jwt so it cannot pass as an ID token', async () => {
    const token = await mintLogoutToken(ctx, rs256, { sub: 'user-1', sid: 'sid-1' });
    expect(decodeProtectedHeader(token).typ).toBe('logout+jwt');
  });

  it('SHOULD expire within two minutes (§4)', async () => {
    const { payload } = await verify(await mintLogoutToken(ctx, rs256, { sub: 'u', sid: 's' }), 'rs-client');
    expect(payload.exp! - payload.iat!).toBe(LOGOUT_TOKEN_TTL);
    expect(LOGOUT_TOKEN_TTL).toBeLessThanOrEqual(120);
  });

  it('has a fresh jti every time', async () => {
    const a = logoutTokenClaims(ctx, rs256, { sub: 'u', sid: 's' });
    const b = logoutTokenClaims(ctx, rs256, { sub: 'u', sid: 's' });
    expect(a.jti).not.toBe(b.jti);
  });

  it('is signed with the alg the client registered for ID tokens', async () => {
    const token = await mintLogoutToken(ctx, es256, { sub: 'u', sid: 's' });
    expect(decodeProtectedHeader(token).alg).toBe('ES256');
    await expect(verify(token, 'es-client')).resolves.toBeTruthy();
  });

  it('omits sid when the logout names no session, keeping sub (a token MUST carry sub or sid)', () => {
    const claims = logoutTokenClaims(ctx, rs256, { sub: 'u', sid: null });
    expect(claims).not.toHaveProperty('sid');
    expect(claims.sub).toBe('u');
  });

  it('refuses to mint without sid for a client with backchannel_logout_session_required', () => {
    expect(() => logoutTokenClaims(ctx, sessionRequired, { sub: 'u', sid: null })).toThrow(/sid/);
    expect(logoutTokenClaims(ctx, sessionRequired, { sub: 'u', sid: 's' }).sid).toBe('s');
  });
});
