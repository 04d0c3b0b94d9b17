/**
 * The atomic insert of new rows (grant, tokens, audit event) used by the token endpoint when an
 * issuance needs no checks: every row is written, or none is. Runs on SQLite, and on PostgreSQL when
 * TEST_DATABASE_URL is set (one CTE statement there; one better-sqlite3 transaction on SQLite).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessTokenRecord, GrantRecord, RefreshTokenRecord } from '../../src/storage/stores.js';
import { newHandle, newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

function grant(): GrantRecord {
  return {
    id: newId(), clientId: 'batch-client', userId: null, scope: 'api', claims: null, resource: ['https://api.example/'],
    authTime: null, acr: null, amr: null, sid: null, createdAt: 1_700_000_000, expiresAt: 1_700_003_600, revokedAt: null, revokedReason: null,
  };
}

function accessToken(grantId: string, tokenHash = newHandle(32)): AccessTokenRecord {
  return { tokenHash, format: 'jwt', grantId, clientId: 'batch-client', scope: 'api', audience: ['https://api.example/'], createdAt: 1_700_000_000, expiresAt: 1_700_003_600, revokedAt: null };
}

function refreshToken(grantId: string): RefreshTokenRecord {
  return { tokenHash: newHandle(32), grantId, clientId: 'batch-client', scope: 'api', createdAt: 1_700_000_000, expiresAt: 1_700_086_400, consumedAt: null };
}

describe(`Stores.insertNewRows on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('writes a grant, its tokens and the audit event, each readable with every field intact', async () => {
    const g = grant();
    const at = accessToken(g.id);
    const rt = refreshToken(g.id);
    const marker = newId();
    await ctx.stores.insertNewRows({
      grants: [g], accessTokens: [at], refreshTokens: [rt],
      auditEvents: [{ event: { type: 'token.issued', clientId: 'batch-client', ip: '192.0.2.7', userAgent: 'test "agent"', details: { marker, note: 'it\'s ? $1' } }, at: 1_700_000_001 }],
    });
    expect(await ctx.stores.grants.find(g.id)).toEqual(g);
    expect(await ctx.stores.accessTokens.find(at.tokenHash)).toEqual(at);
    expect(await ctx.stores.refreshTokens.find(rt.tokenHash)).toEqual(rt);
    const [event] = await ctx.stores.audit.list({ type: 'token.issued', clientId: 'batch-client', limit: 1 });
    expect(event).toMatchObject({ at: 1_700_000_001, ip: '192.0.2.7', userAgent: 'test "agent"', details: { marker, note: 'it\'s ? $1' } });
  });

  it('writes nothing when one row cannot be written (a duplicate token), not even the grant or the audit event', async () => {
    const taken = accessToken(grant().id);
    await ctx.stores.insertNewRows({ accessTokens: [taken] });
    const g = grant();
    const marker = newId();
    await expect(ctx.stores.insertNewRows({
      grants: [g], accessTokens: [accessToken(g.id, taken.tokenHash)],
      auditEvents: [{ event: { type: 'token.issued', clientId: 'batch-client', details: { marker } }, at: 1_700_000_002 }],
    })).rejects.toThrow();
    expect(await ctx.stores.grants.find(g.id)).toBeUndefined();
    const events = await ctx.stores.audit.list({ type: 'token.issued', clientId: 'batch-client', limit: 100 });
    expect(events.some((e) => (e.details as { marker?: string } | null)?.marker === marker)).toBe(false);
  });

  it('keeps the database usable for ordinary queries and transactions afterwards', async () => {
    const g = grant();
    await ctx.stores.insertNewRows({ grants: [g] });
    await ctx.stores.transaction(async (tx) => {
      expect(await ctx.stores.grants.revoke(g.id, 'test', 5, tx)).toBe(true);
    });
    expect((await ctx.stores.grants.find(g.id))?.revokedAt).toBe(5);
  });

  it('accepts an empty set of rows', async () => {
    await expect(ctx.stores.insertNewRows({})).resolves.toBe(true);
  });

  it('with a consumption: uses up an unused refresh token and writes the rows, then refuses a second use writing nothing', async () => {
    const g = grant();
    const presented = refreshToken(g.id);
    await ctx.stores.insertNewRows({ grants: [g], refreshTokens: [presented] });
    const first = refreshToken(g.id);
    const firstAccess = accessToken(g.id);
    expect(await ctx.stores.insertNewRows({ accessTokens: [firstAccess], refreshTokens: [first] }, { kind: 'refresh_token', hash: presented.tokenHash, at: 1_700_000_100 })).toBe(true);
    expect((await ctx.stores.refreshTokens.find(presented.tokenHash))?.consumedAt).toBe(1_700_000_100);
    expect(await ctx.stores.refreshTokens.find(first.tokenHash)).toEqual(first);
    expect(await ctx.stores.accessTokens.find(firstAccess.tokenHash)).toEqual(firstAccess);

    const second = refreshToken(g.id);
    const marker = newId();
    expect(await ctx.stores.insertNewRows(
      { refreshTokens: [second], auditEvents: [{ event: { type: 'token.issued', clientId: 'batch-client', details: { marker } }, at: 1 }] },
      { kind: 'refresh_token', hash: presented.tokenHash, at: 1_700_000_200 },
    )).toBe(false);
    expect(await ctx.stores.refreshTokens.find(second.tokenHash)).toBeUndefined();
    expect((await ctx.stores.refreshTokens.find(presented.tokenHash))?.consumedAt).toBe(1_700_000_100);
    const events = await ctx.stores.audit.list({ type: 'token.issued', clientId: 'batch-client', limit: 100 });
    expect(events.some((e) => (e.details as { marker?: string } | null)?.marker === marker)).toBe(false);
  });

  it('with a consumption: lets exactly one of many concurrent uses of one authorization code write its tokens', async () => {
    const g = grant();
    const codeHash = newHandle(32);
    await ctx.stores.insertNewRows({
      grants: [g],
      authorizationCodes: [{ codeHash, grantId: g.id, clientId: 'batch-client', redirectUri: 'https://rp.example/cb', codeChallenge: 'x'.repeat(43), codeChallengeMethod: 'S256', nonce: null, scope: 'api', createdAt: 1, expiresAt: 2, consumedAt: null }],
    });
    const attempts = Array.from({ length: 10 }, () => accessToken(g.id));
    const outcomes = await Promise.all(attempts.map((token) => ctx.stores.insertNewRows({ accessTokens: [token] }, { kind: 'authorization_code', hash: codeHash, at: 3 })));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const stored = await Promise.all(attempts.map((token) => ctx.stores.accessTokens.find(token.tokenHash)));
    expect(stored.filter(Boolean)).toHaveLength(1);
  });
});
