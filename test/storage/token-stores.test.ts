/**
 * Store conformance: authorization codes, refresh tokens and access tokens, keyed by handle hash.
 * Single use must hold under concurrency. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (a code is used at most once)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token rotation)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessTokenRecord, AuthorizationCodeRecord, RefreshTokenRecord } from '../../src/storage/stores.js';
import { hashHandle, newHandle, newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const code = (overrides: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord => ({
  codeHash: hashHandle(newHandle()), grantId: newId(), clientId: 'client-a', redirectUri: 'https://rp.example/cb',
  codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', codeChallengeMethod: 'S256', nonce: 'n-0S6_WzA2Mj',
  scope: 'openid', createdAt: 1_700_000_000, expiresAt: 1_700_000_060, consumedAt: null, ...overrides,
});

const refresh = (overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
  tokenHash: hashHandle(newHandle()), grantId: newId(), clientId: 'client-a', scope: 'openid offline_access',
  createdAt: 1_700_000_000, expiresAt: 1_702_592_000, consumedAt: null, ...overrides,
});

const access = (overrides: Partial<AccessTokenRecord> = {}): AccessTokenRecord => ({
  tokenHash: hashHandle(newHandle()), format: 'opaque', grantId: newId(), clientId: 'client-a', scope: 'openid',
  audience: ['https://api.example'], createdAt: 1_700_000_000, expiresAt: 1_700_003_600, revokedAt: null, ...overrides,
});

describe(`AuthorizationCodeStore conformance on ${backendName} (RFC 6749 §4.1.2 single use)`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('finds an inserted code by its hash with every field intact', async () => {
    const record = code();
    await ctx.stores.codes.insert(record);
    expect(await ctx.stores.codes.find(record.codeHash)).toEqual(record);
    expect(await ctx.stores.codes.find(hashHandle('unknown'))).toBeUndefined();
  });

  it('MUST consume once: true, then false, and record the time', async () => {
    const record = code();
    await ctx.stores.codes.insert(record);
    expect(await ctx.stores.codes.consume(record.codeHash, 1_700_000_010)).toBe(true);
    expect(await ctx.stores.codes.consume(record.codeHash, 1_700_000_011)).toBe(false);
    expect((await ctx.stores.codes.find(record.codeHash))?.consumedAt).toBe(1_700_000_010);
  });

  it('MUST let exactly one of 20 concurrent consumers win', async () => {
    const record = code();
    await ctx.stores.codes.insert(record);
    const results = await Promise.all(Array.from({ length: 20 }, () => ctx.stores.codes.consume(record.codeHash, 1_700_000_010)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('consuming an unknown code returns false', async () => {
    expect(await ctx.stores.codes.consume(hashHandle('never-issued'), 1)).toBe(false);
  });
});

describe(`RefreshTokenStore conformance on ${backendName} (RFC 9700 §4.14.2 rotation)`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('finds an inserted token by its hash with every field intact', async () => {
    const record = refresh();
    await ctx.stores.refreshTokens.insert(record);
    expect(await ctx.stores.refreshTokens.find(record.tokenHash)).toEqual(record);
  });

  it('MUST consume once: true, then false', async () => {
    const record = refresh();
    await ctx.stores.refreshTokens.insert(record);
    expect(await ctx.stores.refreshTokens.consume(record.tokenHash, 1_700_000_500)).toBe(true);
    expect(await ctx.stores.refreshTokens.consume(record.tokenHash, 1_700_000_501)).toBe(false);
    expect((await ctx.stores.refreshTokens.find(record.tokenHash))?.consumedAt).toBe(1_700_000_500);
  });

  it('MUST let exactly one of 20 concurrent rotations win', async () => {
    const record = refresh();
    await ctx.stores.refreshTokens.insert(record);
    const results = await Promise.all(Array.from({ length: 20 }, () => ctx.stores.refreshTokens.consume(record.tokenHash, 1_700_000_500)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('a consume rolled back with its transaction leaves the token usable', async () => {
    const record = refresh();
    await ctx.stores.refreshTokens.insert(record);
    await expect(ctx.stores.transaction(async (tx) => {
      expect(await ctx.stores.refreshTokens.consume(record.tokenHash, 1_700_000_500, tx)).toBe(true);
      throw new Error('child insert failed');
    })).rejects.toThrow('child insert failed');
    expect(await ctx.stores.refreshTokens.consume(record.tokenHash, 1_700_000_600)).toBe(true);
  });
});

describe(`AccessTokenStore conformance on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('finds opaque and JWT (jti) access tokens with every field intact', async () => {
    const opaque = access();
    const jwt = access({ tokenHash: newId(), format: 'jwt', audience: null });
    await ctx.stores.accessTokens.insert(opaque);
    await ctx.stores.accessTokens.insert(jwt);
    expect(await ctx.stores.accessTokens.find(opaque.tokenHash)).toEqual(opaque);
    expect(await ctx.stores.accessTokens.find(jwt.tokenHash)).toEqual(jwt);
    expect(await ctx.stores.accessTokens.find(hashHandle('unknown'))).toBeUndefined();
  });

  it('rejects a duplicate token hash', async () => {
    const record = access();
    await ctx.stores.accessTokens.insert(record);
    await expect(ctx.stores.accessTokens.insert(record)).rejects.toThrow();
  });
});
