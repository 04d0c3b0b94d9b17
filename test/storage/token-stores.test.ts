/**
 * Store conformance: authorization codes, refresh tokens and access tokens, keyed by handle hash.
 * Single use (Stores.insertNewRows with a consumption: the rows are written only if the code or
 * token was unused) must hold under concurrency. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (a code is used at most once)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token rotation)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessTokenRecord, AuthorizationCodeRecord, GrantRecord, RefreshTokenRecord, Tx } from '../../src/storage/stores.js';
import { hashHandle, newHandle, newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const code = (overrides: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord => ({
  codeHash: hashHandle(newHandle()), grantId: newId(), clientId: 'client-a', redirectUri: 'https://rp.example/cb',
  codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', codeChallengeMethod: 'S256', nonce: 'n-0S6_WzA2Mj',
  scope: 'openid', createdAt: 1_700_000_000, expiresAt: 1_700_000_060, consumedAt: null, ...overrides,
});

/** The grant a code belongs to: a code is read back together with its grant (AuthorizationCodeStore.findWithGrant). */
const grantOf = (record: AuthorizationCodeRecord): GrantRecord => ({
  id: record.grantId, clientId: record.clientId, userId: null, scope: record.scope, claims: null, resource: null, authTime: null,
  acr: null, amr: null, sid: null, createdAt: record.createdAt, expiresAt: 1_702_592_000, revokedAt: null, revokedReason: null,
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

  /** Writes the code with its grant, as the authorization endpoint does. */
  const insertCode = (record: AuthorizationCodeRecord) => ctx.stores.insertNewRows({ grants: [grantOf(record)], authorizationCodes: [record] });
  const findCode = async (codeHash: string) => (await ctx.stores.codes.findWithGrant(codeHash))?.token;

  it('finds an inserted code by its hash with every field intact', async () => {
    const record = code();
    await insertCode(record);
    expect(await findCode(record.codeHash)).toEqual(record);
    expect(await findCode(hashHandle('unknown'))).toBeUndefined();
  });

  /** A use of the code (single use through Stores.insertNewRows): the access token it issues is written only if the code was unused. */
  const redeem = (codeHash: string, at: number, token = access()) => ctx.stores.insertNewRows({ accessTokens: [token] }, { kind: 'authorization_code', hash: codeHash, at });

  it('MUST consume once: true, then false, and record the time', async () => {
    const record = code();
    await insertCode(record);
    const [first, second] = [access(), access()];
    expect(await redeem(record.codeHash, 1_700_000_010, first)).toBe(true);
    expect(await redeem(record.codeHash, 1_700_000_011, second)).toBe(false);
    expect((await findCode(record.codeHash))?.consumedAt).toBe(1_700_000_010);
    expect(await ctx.stores.accessTokens.find(first.tokenHash)).toEqual(first);
    expect(await ctx.stores.accessTokens.find(second.tokenHash)).toBeUndefined();
  });

  it('MUST let exactly one of 20 concurrent consumers win', async () => {
    const record = code();
    await insertCode(record);
    const tokens = Array.from({ length: 20 }, () => access());
    const results = await Promise.all(tokens.map((token) => redeem(record.codeHash, 1_700_000_010, token)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const stored = await Promise.all(tokens.map((token) => ctx.stores.accessTokens.find(token.tokenHash)));
    expect(stored.filter(Boolean)).toHaveLength(1);
  });

  it('consuming an unknown code returns false', async () => {
    const token = access();
    expect(await redeem(hashHandle('never-issued'), 1, token)).toBe(false);
    expect(await ctx.stores.accessTokens.find(token.tokenHash)).toBeUndefined();
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
    await ctx.stores.insertNewRows({ refreshTokens: [record] });
    expect(await ctx.stores.refreshTokens.find(record.tokenHash)).toEqual(record);
  });

  /** A rotation (single use through Stores.insertNewRows): the successor is written only if the presented token was unused. */
  const rotate = (tokenHash: string, at: number, successor = refresh(), tx?: Tx) => ctx.stores.insertNewRows({ refreshTokens: [successor] }, { kind: 'refresh_token', hash: tokenHash, at }, tx);

  it('MUST consume once: true, then false', async () => {
    const record = refresh();
    await ctx.stores.insertNewRows({ refreshTokens: [record] });
    const [first, second] = [refresh(), refresh()];
    expect(await rotate(record.tokenHash, 1_700_000_500, first)).toBe(true);
    expect(await rotate(record.tokenHash, 1_700_000_501, second)).toBe(false);
    expect((await ctx.stores.refreshTokens.find(record.tokenHash))?.consumedAt).toBe(1_700_000_500);
    expect(await ctx.stores.refreshTokens.find(first.tokenHash)).toEqual(first);
    expect(await ctx.stores.refreshTokens.find(second.tokenHash)).toBeUndefined();
  });

  it('MUST let exactly one of 20 concurrent rotations win', async () => {
    const record = refresh();
    await ctx.stores.insertNewRows({ refreshTokens: [record] });
    const successors = Array.from({ length: 20 }, () => refresh());
    const results = await Promise.all(successors.map((successor) => rotate(record.tokenHash, 1_700_000_500, successor)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const stored = await Promise.all(successors.map((successor) => ctx.stores.refreshTokens.find(successor.tokenHash)));
    expect(stored.filter(Boolean)).toHaveLength(1);
  });

  it('a consume rolled back with its transaction leaves the token usable', async () => {
    const record = refresh();
    await ctx.stores.insertNewRows({ refreshTokens: [record] });
    const rolledBack = refresh();
    await expect(ctx.stores.transaction(async (tx) => {
      expect(await rotate(record.tokenHash, 1_700_000_500, rolledBack, tx)).toBe(true);
      throw new Error('child insert failed');
    })).rejects.toThrow('child insert failed');
    expect((await ctx.stores.refreshTokens.find(record.tokenHash))?.consumedAt).toBeNull();
    expect(await ctx.stores.refreshTokens.find(rolledBack.tokenHash)).toBeUndefined();
    expect(await rotate(record.tokenHash, 1_700_000_600)).toBe(true);
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
    await ctx.stores.insertNewRows({ accessTokens: [opaque, jwt] });
    expect(await ctx.stores.accessTokens.find(opaque.tokenHash)).toEqual(opaque);
    expect(await ctx.stores.accessTokens.find(jwt.tokenHash)).toEqual(jwt);
    expect(await ctx.stores.accessTokens.find(hashHandle('unknown'))).toBeUndefined();
  });

  it('rejects a duplicate token hash', async () => {
    const record = access();
    await ctx.stores.insertNewRows({ accessTokens: [record] });
    await expect(ctx.stores.insertNewRows({ accessTokens: [record] })).rejects.toThrow();
  });
});
