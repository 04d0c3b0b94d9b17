/**
 * Store conformance: grants, the root of every token family. Runs on SQLite, and on PostgreSQL when
 * TEST_DATABASE_URL is set.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (code replay revokes what the code issued)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh reuse revokes the family)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantRecord } from '../../src/storage/stores.js';
import { newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

function grant(overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id: newId(), clientId: 'client-a', userId: newId(), scope: 'openid profile', claims: { userinfo: { email: null } },
    resource: ['https://api.example'], authTime: 1_700_000_000, acr: '1', amr: ['pwd'], sid: newId(),
    createdAt: 1_700_000_000, expiresAt: 1_700_086_400, revokedAt: null, revokedReason: null, ...overrides,
  };
}

describe(`GrantStore conformance on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('finds an inserted grant with every field intact', async () => {
    const record = grant();
    await ctx.stores.insertNewRows({ grants: [record] });
    expect(await ctx.stores.grants.find(record.id)).toEqual(record);
  });

  it('keeps nulls for a client_credentials grant (no user, no session)', async () => {
    const record = grant({ userId: null, claims: null, resource: null, authTime: null, acr: null, amr: null, sid: null });
    await ctx.stores.insertNewRows({ grants: [record] });
    expect(await ctx.stores.grants.find(record.id)).toEqual(record);
  });

  it('revoke returns true once, then false, and records when and why', async () => {
    const record = grant();
    await ctx.stores.insertNewRows({ grants: [record] });
    expect(await ctx.stores.grants.revoke(record.id, 'code_replay', 1_700_000_100)).toBe(true);
    expect(await ctx.stores.grants.revoke(record.id, 'again', 1_700_000_200)).toBe(false);
    expect(await ctx.stores.grants.find(record.id)).toMatchObject({ revokedAt: 1_700_000_100, revokedReason: 'code_replay' });
  });

  it('revoke of an unknown grant returns false', async () => {
    expect(await ctx.stores.grants.revoke('no-such-grant', 'x', 1)).toBe(false);
  });

  it('revokeByClient revokes only that client\'s live grants and counts them', async () => {
    const mine = [grant({ clientId: 'by-client' }), grant({ clientId: 'by-client' })];
    const already = grant({ clientId: 'by-client', revokedAt: 5, revokedReason: 'earlier' });
    const other = grant({ clientId: 'other-client' });
    await ctx.stores.insertNewRows({ grants: [...mine, already, other] });
    expect(await ctx.stores.grants.revokeByClient('by-client', 'client_removed', 10)).toBe(2);
    for (const record of mine) expect((await ctx.stores.grants.find(record.id))?.revokedReason).toBe('client_removed');
    expect(await ctx.stores.grants.find(already.id)).toMatchObject({ revokedAt: 5, revokedReason: 'earlier' });
    expect((await ctx.stores.grants.find(other.id))?.revokedAt).toBeNull();
  });

  it('revokeBySid revokes every grant of one browser session', async () => {
    const sid = newId();
    const inSession = [grant({ sid, clientId: 'rp-1' }), grant({ sid, clientId: 'rp-2' })];
    const elsewhere = grant();
    await ctx.stores.insertNewRows({ grants: [...inSession, elsewhere] });
    expect(await ctx.stores.grants.revokeBySid(sid, 'logout', 20)).toBe(2);
    for (const record of inSession) expect((await ctx.stores.grants.find(record.id))?.revokedAt).toBe(20);
    expect((await ctx.stores.grants.find(elsewhere.id))?.revokedAt).toBeNull();
  });

  it('revokeByUser revokes every grant of one user', async () => {
    const userId = newId();
    const theirs = [grant({ userId }), grant({ userId, clientId: 'rp-2' })];
    const someoneElse = grant();
    await ctx.stores.insertNewRows({ grants: [...theirs, someoneElse] });
    expect(await ctx.stores.grants.revokeByUser(userId, 'user_removed', 30)).toBe(2);
    expect(await ctx.stores.grants.revokeByUser(userId, 'user_removed', 31)).toBe(0);
    expect((await ctx.stores.grants.find(someoneElse.id))?.revokedAt).toBeNull();
  });

  it('listUnrevokedByUserAndClient lists that pair\'s unrevoked grants only', async () => {
    const userId = newId();
    const live = [grant({ userId, clientId: 'rp-3', createdAt: 1 }), grant({ userId, clientId: 'rp-3', createdAt: 2 })];
    const revoked = grant({ userId, clientId: 'rp-3', revokedAt: 5, revokedReason: 'test' });
    const otherClient = grant({ userId, clientId: 'rp-4' });
    await ctx.stores.insertNewRows({ grants: [...live, revoked, otherClient] });
    expect((await ctx.stores.grants.listUnrevokedByUserAndClient(userId, 'rp-3')).map((g) => g.id)).toEqual(live.map((g) => g.id));
  });
});
