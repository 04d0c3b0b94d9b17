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

  describe('RFC 8693 exchanged grants (parentGrantId) revoke with the grant they came from', () => {
    /** A root grant, a grant exchanged from it, and one exchanged from that (a chain of two exchanges). */
    async function chain(root: Partial<GrantRecord> = {}) {
      const first = grant(root);
      const second = grant({ clientId: 'exchanger-1', sid: null, parentGrantId: first.id, subject: first.userId, act: { sub: 'exchanger-1' } });
      const third = grant({ clientId: 'exchanger-2', sid: null, parentGrantId: second.id, subject: first.userId, act: { sub: 'exchanger-2', act: { sub: 'exchanger-1' } } });
      await ctx.stores.insertNewRows({ grants: [first, second, third] });
      return [first, second, third];
    }
    const revokedIds = async (records: GrantRecord[]) => {
      const found = await Promise.all(records.map((record) => ctx.stores.grants.find(record.id)));
      return found.filter((record) => record?.revokedAt !== null).map((record) => record!.id);
    };

    it('keeps parent, subject and act intact', async () => {
      const [, second, third] = await chain();
      expect(await ctx.stores.grants.find(second.id)).toEqual(second);
      expect(await ctx.stores.grants.find(third.id)).toEqual(third);
    });

    it('revoke cascades down the whole chain, with the same time and reason', async () => {
      const records = await chain();
      expect(await ctx.stores.grants.revoke(records[0].id, 'refresh_token_reuse', 40)).toBe(true);
      expect(await revokedIds(records)).toEqual(records.map((record) => record.id));
      expect(await ctx.stores.grants.find(records[2].id)).toMatchObject({ revokedAt: 40, revokedReason: 'refresh_token_reuse' });
    });

    it('revoking the middle of a chain leaves its parent alone', async () => {
      const records = await chain();
      expect(await ctx.stores.grants.revoke(records[1].id, 'test', 41)).toBe(true);
      expect(await revokedIds(records)).toEqual([records[1].id, records[2].id]);
    });

    it('revokeByClient, revokeBySid, revokeByUser and revokeByUserAndClient cascade and count the exchanged grants', async () => {
      const byClient = await chain({ clientId: 'cascade-client' });
      expect(await ctx.stores.grants.revokeByClient('cascade-client', 'client_removed', 50)).toBe(3);
      expect(await revokedIds(byClient)).toHaveLength(3);
      const sid = newId();
      const bySid = await chain({ sid });
      expect(await ctx.stores.grants.revokeBySid(sid, 'logout', 51)).toBe(3);
      expect(await revokedIds(bySid)).toHaveLength(3);
      const userId = newId();
      const byUser = await chain({ userId });
      expect(await ctx.stores.grants.revokeByUser(userId, 'user_removed', 52)).toBe(3);
      expect(await revokedIds(byUser)).toHaveLength(3);
      const pairUser = newId();
      const byPair = await chain({ userId: pairUser, clientId: 'pair-client' });
      expect(await ctx.stores.grants.revokeByUserAndClient(pairUser, 'pair-client', 'consent_revoked', 53)).toBe(3);
      expect(await revokedIds(byPair)).toHaveLength(3);
    });

    it('a token read with its grant sees the grant revoked while its parent is revoked, or gone', async () => {
      const [first, second] = await chain();
      const token = { tokenHash: newId(), format: 'opaque' as const, grantId: second.id, clientId: second.clientId, scope: 'openid', audience: null, createdAt: 1, expiresAt: 2_000_000_000, revokedAt: null };
      await ctx.stores.insertNewRows({ accessTokens: [token] });
      expect((await ctx.stores.accessTokens.findWithGrant(token.tokenHash))?.grant).toMatchObject({ revokedAt: null, parentGrantId: first.id, act: { sub: 'exchanger-1' } });
      // The parent revoked behind the cascade's back (as if revoked between an exchange's check and its write).
      await ctx.knex('grants').where({ id: first.id }).update({ revoked_at: 60, revoked_reason: 'logout' });
      expect((await ctx.stores.accessTokens.findWithGrant(token.tokenHash))?.grant).toMatchObject({ revokedAt: 60, revokedReason: 'logout' });
      await ctx.knex('grants').where({ id: first.id }).delete();
      expect((await ctx.stores.accessTokens.findWithGrant(token.tokenHash))?.grant).toMatchObject({ revokedReason: 'parent_grant_removed' });
    });
  });
});
