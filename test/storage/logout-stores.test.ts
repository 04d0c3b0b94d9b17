/**
 * Store conformance for logout: the back-channel delivery queue (claim is an atomic lease), grants
 * listed by session, grants revoked per user and client, and consents listed per user. Runs on
 * SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantRecord, LogoutDeliveryRecord } from '../../src/storage/stores.js';
import { newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

function delivery(overrides: Partial<LogoutDeliveryRecord> = {}): LogoutDeliveryRecord {
  return { id: newId(), clientId: 'client-a', userId: 'user-a', sid: newId(), attempts: 0, nextAttemptAt: 1_700_000_000, createdAt: 1_700_000_000, lastError: null, ...overrides };
}

function grant(overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id: newId(), clientId: 'client-a', userId: 'user-a', scope: 'openid', claims: null, resource: null, authTime: 1, acr: null, amr: null,
    sid: newId(), createdAt: 1_700_000_000, expiresAt: 1_800_000_000, revokedAt: null, revokedReason: null, ...overrides,
  };
}

describe(`logout stores on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('keeps a delivery with every field intact', async () => {
    const record = delivery({ sid: null, lastError: 'x' });
    await ctx.stores.logoutDeliveries.insert(record);
    expect(await ctx.stores.logoutDeliveries.find(record.id)).toEqual(record);
  });

  it('lists due deliveries earliest first, up to the limit', async () => {
    const late = delivery({ nextAttemptAt: 2_000_000_050 });
    const early = delivery({ nextAttemptAt: 2_000_000_010 });
    const future = delivery({ nextAttemptAt: 2_000_000_500 });
    for (const d of [late, early, future]) await ctx.stores.logoutDeliveries.insert(d);
    const due = (await ctx.stores.logoutDeliveries.due(2_000_000_100, 100)).filter((d) => d.nextAttemptAt >= 2_000_000_000);
    expect(due.map((d) => d.id)).toEqual([early.id, late.id]);
    expect(await ctx.stores.logoutDeliveries.due(2_000_000_100, 1)).toHaveLength(1);
  });

  it('claim succeeds for exactly one of two racing callers', async () => {
    const record = delivery({ nextAttemptAt: 1_600_000_000 });
    await ctx.stores.logoutDeliveries.insert(record);
    const results = await Promise.all([
      ctx.stores.logoutDeliveries.claim(record.id, record.nextAttemptAt, 1_600_000_060),
      ctx.stores.logoutDeliveries.claim(record.id, record.nextAttemptAt, 1_600_000_060),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await ctx.stores.logoutDeliveries.find(record.id))?.nextAttemptAt).toBe(1_600_000_060);
  });

  it('reschedules with attempts and a truncated error, and removes once', async () => {
    const record = delivery();
    await ctx.stores.logoutDeliveries.insert(record);
    await ctx.stores.logoutDeliveries.reschedule(record.id, 3, 1_700_000_300, 'e'.repeat(400));
    expect(await ctx.stores.logoutDeliveries.find(record.id)).toMatchObject({ attempts: 3, nextAttemptAt: 1_700_000_300, lastError: 'e'.repeat(255) });
    expect(await ctx.stores.logoutDeliveries.remove(record.id)).toBe(true);
    expect(await ctx.stores.logoutDeliveries.remove(record.id)).toBe(false);
  });

  it('lists the grants of one session', async () => {
    const sid = newId();
    const a = grant({ sid, createdAt: 10 });
    const b = grant({ sid, clientId: 'client-b', createdAt: 20 });
    await ctx.stores.insertNewRows({ grants: [a, b, grant()] });
    expect((await ctx.stores.grants.listBySid(sid)).map((g) => g.id)).toEqual([a.id, b.id]);
  });

  it("revokes one user's grants to one client only", async () => {
    const userId = newId();
    const mine = grant({ userId, clientId: 'c1' });
    const mineElsewhere = grant({ userId, clientId: 'c2' });
    const someoneElse = grant({ clientId: 'c1' });
    await ctx.stores.insertNewRows({ grants: [mine, mineElsewhere, someoneElse] });
    expect(await ctx.stores.grants.revokeByUserAndClient(userId, 'c1', 'consent_revoked', 5)).toBe(1);
    expect((await ctx.stores.grants.find(mine.id))?.revokedReason).toBe('consent_revoked');
    expect((await ctx.stores.grants.find(mineElsewhere.id))?.revokedAt).toBeNull();
    expect((await ctx.stores.grants.find(someoneElse.id))?.revokedAt).toBeNull();
  });

  it("lists a user's consents", async () => {
    const userId = newId();
    await ctx.stores.consents.upsert({ userId, clientId: 'z-client', scope: 'openid', grantedAt: 20 });
    await ctx.stores.consents.upsert({ userId, clientId: 'a-client', scope: 'openid email', grantedAt: 10 });
    await ctx.stores.consents.upsert({ userId: newId(), clientId: 'a-client', scope: 'openid', grantedAt: 10 });
    expect(await ctx.stores.consents.listByUser(userId)).toEqual([
      { userId, clientId: 'a-client', scope: 'openid email', grantedAt: 10 },
      { userId, clientId: 'z-client', scope: 'openid', grantedAt: 20 },
    ]);
  });
});
