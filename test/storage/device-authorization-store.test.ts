/**
 * Device authorizations on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set: the conditional
 * updates that decide races (approval vs. redemption, two redemptions, two polls).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessTokenRecord, DeviceAuthorizationRecord, GrantRecord } from '../../src/storage/stores.js';
import { newHandle, newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const NOW = 1_700_000_000;

function device(overrides: Partial<DeviceAuthorizationRecord> = {}): DeviceAuthorizationRecord {
  return {
    deviceCodeHash: newHandle(), userCodeHash: newHandle(), clientId: 'tv', scope: 'openid', status: 'pending', pollInterval: 5, lastPolledAt: null,
    grantId: null, userId: null, createdAt: NOW, expiresAt: NOW + 600, decidedAt: null, consumedAt: null, ...overrides,
  };
}

const grant = (id = newId()): GrantRecord => ({
  id, clientId: 'tv', userId: 'u1', scope: 'openid', claims: null, resource: null, authTime: NOW, acr: null, amr: ['pwd'], sid: 's1',
  createdAt: NOW, expiresAt: NOW + 3600, revokedAt: null, revokedReason: null,
});
const accessToken = (grantId: string): AccessTokenRecord => ({ tokenHash: newHandle(), format: 'opaque', grantId, clientId: 'tv', scope: 'openid', audience: null, createdAt: NOW, expiresAt: NOW + 3600, revokedAt: null });

describe(`device authorization store on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());
  const store = () => ctx.stores.deviceAuthorizations;

  it('inserts and finds by device_code hash and by user_code hash, every field intact', async () => {
    const record = device();
    expect(await store().insert(record)).toBe(true);
    expect(await store().find(record.deviceCodeHash)).toEqual(record);
    expect(await store().findByUserCode(record.userCodeHash)).toEqual(record);
  });

  it('refuses (false, nothing written) a second row with a user_code already held', async () => {
    const first = device();
    await store().insert(first);
    const clash = device({ userCodeHash: first.userCodeHash });
    expect(await store().insert(clash)).toBe(false);
    expect(await store().find(clash.deviceCodeHash)).toBeUndefined();
  });

  it('records polls: on time, then too fast (interval +5, clock restarted), on time again after the new interval', async () => {
    const record = device();
    await store().insert(record);
    expect(await store().poll(record.deviceCodeHash, NOW, 5)).toBe('on_time');
    expect(await store().poll(record.deviceCodeHash, NOW + 4, 5)).toBe('too_fast');
    expect(await store().find(record.deviceCodeHash)).toMatchObject({ pollInterval: 10, lastPolledAt: NOW + 4 });
    expect(await store().poll(record.deviceCodeHash, NOW + 13, 5)).toBe('too_fast');
    expect(await store().poll(record.deviceCodeHash, NOW + 13 + 15, 5)).toBe('on_time');
    expect(await store().poll(newHandle(), NOW, 5)).toBe('missing');
  });

  it('two concurrent polls at the same instant: one on time, the other slowed down', async () => {
    const record = device();
    await store().insert(record);
    const outcomes = await Promise.all([store().poll(record.deviceCodeHash, NOW, 5), store().poll(record.deviceCodeHash, NOW, 5)]);
    expect(outcomes.sort()).toEqual(['on_time', 'too_fast']);
  });

  it('decides only a pending, unexpired request, once', async () => {
    const record = device();
    await store().insert(record);
    expect(await store().approve(record.deviceCodeHash, 'g1', 'u1', NOW + 600)).toBe(false);
    expect(await store().approve(record.deviceCodeHash, 'g1', 'u1', NOW + 1)).toBe(true);
    expect(await store().deny(record.deviceCodeHash, 'u1', NOW + 2)).toBe(false);
    expect(await store().find(record.deviceCodeHash)).toMatchObject({ status: 'approved', grantId: 'g1', userId: 'u1', decidedAt: NOW + 1 });
    const denied = device();
    await store().insert(denied);
    expect(await store().deny(denied.deviceCodeHash, 'u2', NOW)).toBe(true);
    expect(await store().approve(denied.deviceCodeHash, 'g2', 'u2', NOW)).toBe(false);
  });

  it('concurrent approval and redemption: redemption before approval writes nothing; after it, exactly once', async () => {
    const record = device();
    await store().insert(record);
    const g = grant();
    const redeem = () => ctx.stores.insertNewRows({ accessTokens: [accessToken(g.id)] }, { kind: 'device_code', hash: record.deviceCodeHash, at: NOW + 2 });
    const [approved, early] = await Promise.all([
      ctx.stores.transaction(async (tx) => {
        const ok = await store().approve(record.deviceCodeHash, g.id, 'u1', NOW + 1, tx);
        await ctx.stores.insertNewRows({ grants: [g] }, undefined, tx);
        return ok;
      }),
      redeem(),
    ]);
    expect(approved).toBe(true);
    // Whichever ran first, the redemption succeeded only if it saw the approval.
    const after = await store().find(record.deviceCodeHash);
    expect(after!.consumedAt !== null).toBe(early);
    if (!early) expect(await redeem()).toBe(true);
    expect(await redeem()).toBe(false);
  });

  it('double redemption race: exactly one of several concurrent redemptions writes its tokens', async () => {
    const g = grant();
    const record = device({ status: 'approved', grantId: g.id, userId: 'u1' });
    await store().insert(record);
    await ctx.stores.insertNewRows({ grants: [g] });
    const tokens = Array.from({ length: 5 }, () => accessToken(g.id));
    const outcomes = await Promise.all(tokens.map((token) => ctx.stores.insertNewRows({ accessTokens: [token] }, { kind: 'device_code', hash: record.deviceCodeHash, at: NOW })));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const written = await Promise.all(tokens.map((token) => ctx.stores.accessTokens.find(token.tokenHash)));
    expect(written.filter(Boolean)).toHaveLength(1);
  });

  it('is cleaned by the retention pass once expired', async () => {
    const expired = device({ expiresAt: NOW - 1 });
    const live = device({ expiresAt: NOW + 600 });
    await store().insert(expired);
    await store().insert(live);
    const deleted = await ctx.stores.retention.purgeExpired(NOW);
    expect(deleted.device_authorizations).toBeGreaterThanOrEqual(1);
    expect(await store().find(expired.deviceCodeHash)).toBeUndefined();
    expect(await store().find(live.deviceCodeHash)).toBeDefined();
  });
});
