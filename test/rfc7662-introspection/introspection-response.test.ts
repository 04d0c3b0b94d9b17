/**
 * The introspection answer computed from stored rows: which states are active, and which members
 * an active answer carries.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2 (aud lists the resources)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { introspectionResponse } from '../../src/rfc7662-introspection/introspection-response.js';
import type { PresentedToken } from '../../src/rfc7662-introspection/presented-token.js';
import type { AccessTokenRecord, GrantRecord, RefreshTokenRecord } from '../../src/storage/stores.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

/** The client the tokens were issued to, introspecting them (no resource server). */
const OWNER = { clientId: 'c1' };

describe('RFC 7662 §2.2 introspection response', () => {
  let ctx: TestContext;
  let now: number;
  beforeAll(async () => {
    ctx = await createTestContext();
    now = ctx.clock();
  });
  afterAll(() => ctx.close());

  const grant = (overrides: Partial<GrantRecord> = {}): GrantRecord => ({
    id: 'g1', clientId: 'c1', userId: 'u1', scope: 'openid offline_access', claims: null, resource: null,
    authTime: now - 60, acr: 'urn:example:loa:2', amr: ['pwd'], sid: 's1', createdAt: now - 60, expiresAt: now + 3600,
    revokedAt: null, revokedReason: null, ...overrides,
  });
  const access = (overrides: Partial<AccessTokenRecord> = {}, grantOverrides: Partial<GrantRecord> = {}): PresentedToken => ({
    kind: 'access_token',
    found: {
      token: { tokenHash: 'h', format: 'opaque', grantId: 'g1', clientId: 'c1', scope: 'openid', audience: null, createdAt: now - 10, expiresAt: now + 600, revokedAt: null, ...overrides },
      grant: grant(grantOverrides),
      username: 'erin',
    },
  });
  const refresh = (overrides: Partial<RefreshTokenRecord> = {}, grantOverrides: Partial<GrantRecord> = {}): PresentedToken => ({
    kind: 'refresh_token',
    found: {
      token: { tokenHash: 'r', grantId: 'g1', clientId: 'c1', scope: 'openid offline_access', createdAt: now - 10, expiresAt: now + 3600, consumedAt: null, ...overrides },
      grant: grant(grantOverrides),
      username: 'erin',
    },
  });

  it('MUST answer nothing but active false for an absent token', () => {
    expect(introspectionResponse(ctx, undefined, OWNER)).toStrictEqual({ active: false });
  });

  it.each([
    ['another client', () => access(), 'c2'],
    ['expired at exactly now', () => access({ expiresAt: now }), 'c1'],
    ['revoked itself', () => access({ revokedAt: now - 1 }), 'c1'],
    ['grant revoked', () => access({}, { revokedAt: now - 1 }), 'c1'],
    ['grant expired', () => access({}, { expiresAt: now }), 'c1'],
    ['grant of another client', () => access({}, { clientId: 'c2' }), 'c1'],
    ['refresh consumed', () => refresh({ consumedAt: now - 1 }), 'c1'],
    ['refresh expired', () => refresh({ expiresAt: now }), 'c1'],
    ['refresh of a revoked grant', () => refresh({}, { revokedAt: now - 1 }), 'c1'],
  ] as const)('MUST answer active false when %s', (_label, presented, clientId) => {
    expect(introspectionResponse(ctx, presented(), { clientId })).toStrictEqual({ active: false });
  });

  it('answers active true for the same rows in their live state (the cases above differ in one field)', () => {
    expect(introspectionResponse(ctx, access(), OWNER)).toMatchObject({ active: true, client_id: 'c1', username: 'erin', token_type: 'Bearer' });
    expect(introspectionResponse(ctx, refresh(), OWNER)).toMatchObject({ active: true, scope: 'openid offline_access' });
  });

  it('gives aud as an array for several resources and a string for one; the issuer when none', () => {
    expect(introspectionResponse(ctx, access({ audience: ['https://a.example/', 'https://b.example/'] }), OWNER)).toMatchObject({ aud: ['https://a.example/', 'https://b.example/'] });
    expect(introspectionResponse(ctx, access({ audience: ['https://a.example/'] }), OWNER)).toMatchObject({ aud: 'https://a.example/' });
    expect(introspectionResponse(ctx, access(), OWNER)).toMatchObject({ aud: ctx.config.issuer });
  });

  it('adds jti only for JWT access tokens, acr and auth_time from the grant, and omits an empty scope', () => {
    const jwt = introspectionResponse(ctx, access({ format: 'jwt', tokenHash: 'the-jti', scope: '' }), OWNER);
    expect(jwt).toMatchObject({ active: true, jti: 'the-jti', acr: 'urn:example:loa:2', auth_time: now - 60 });
    expect(jwt).not.toHaveProperty('scope');
    expect(introspectionResponse(ctx, access(), OWNER)).not.toHaveProperty('jti');
  });

  it('MUST name the key of a DPoP-bound refresh token in cnf.jkt, without a token_type (RFC 9449 §5, §6.2)', () => {
    const bound = introspectionResponse(ctx, refresh({ dpopJkt: 'jkt-of-the-key' }), OWNER);
    expect(bound).toMatchObject({ active: true, cnf: { jkt: 'jkt-of-the-key' } });
    expect(bound).not.toHaveProperty('token_type');
    expect(introspectionResponse(ctx, refresh(), OWNER)).not.toHaveProperty('cnf');
  });

  describe('Castellan policy: a resource server (served_resources) learns about access tokens meant for it', () => {
    const rs = (served: string[]) => ({ clientId: 'rs', served });
    it('MUST show it another client\'s access token without an audience, or with one of its resources', () => {
      expect(introspectionResponse(ctx, access(), rs([]))).toMatchObject({ active: true, client_id: 'c1' });
      expect(introspectionResponse(ctx, access({ audience: ['https://api.example/'] }), rs(['https://api.example/']))).toMatchObject({ active: true });
    });
    it('MUST answer active false for a token meant for other resources, any refresh token, and a client that serves nothing', () => {
      expect(introspectionResponse(ctx, access({ audience: ['https://other.example/'] }), rs(['https://api.example/']))).toStrictEqual({ active: false });
      expect(introspectionResponse(ctx, refresh(), rs([]))).toStrictEqual({ active: false });
      expect(introspectionResponse(ctx, access(), { clientId: 'rs' })).toStrictEqual({ active: false });
    });
  });

  it('omits username and auth_time for a token without a user', () => {
    const body = introspectionResponse(ctx, access({}, { userId: null, authTime: null, acr: null }), OWNER);
    expect(body).toMatchObject({ active: true, sub: 'c1' });
    expect(body).not.toHaveProperty('username');
    expect(body).not.toHaveProperty('auth_time');
    expect(body).not.toHaveProperty('acr');
  });
});
