/**
 * Store conformance: signing keys and their published set. Runs on SQLite, and on PostgreSQL when
 * TEST_DATABASE_URL is set.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningKeyRecord } from '../../src/storage/stores.js';
import { newHandle } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const NOW = 1_800_000_000;

function key(overrides: Partial<SigningKeyRecord>): SigningKeyRecord {
  return {
    kid: `k-${newHandle(8)}`, alg: 'ES256', state: 'next', publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
    privateEncrypted: 'v1.sealed', createdAt: NOW - 100, activatedAt: null, retiredAt: null, removeAfter: null, ...overrides,
  };
}

describe(`SigningKeyStore conformance on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('lists an inserted key with every field intact', async () => {
    const record = key({ state: 'active', activatedAt: NOW - 50 });
    await ctx.stores.keys.insert(record);
    expect((await ctx.stores.keys.listAll()).find((k) => k.kid === record.kid)).toEqual(record);
  });

  it('publishes next, active and retired keys before removeAfter, and not retired keys past it', async () => {
    const next = key({ state: 'next' });
    const active = key({ state: 'active', activatedAt: NOW - 10 });
    const retiredLive = key({ state: 'retired', activatedAt: NOW - 90, retiredAt: NOW - 10, removeAfter: NOW + 1 });
    const retiredGone = key({ state: 'retired', activatedAt: NOW - 90, retiredAt: NOW - 10, removeAfter: NOW });
    for (const record of [next, active, retiredLive, retiredGone]) await ctx.stores.keys.insert(record);
    const published = (await ctx.stores.keys.listPublished(NOW)).map((k) => k.kid);
    expect(published).toEqual(expect.arrayContaining([next.kid, active.kid, retiredLive.kid]));
    expect(published).not.toContain(retiredGone.kid);
    // Still stored until removeExpired runs.
    expect((await ctx.stores.keys.listAll()).map((k) => k.kid)).toContain(retiredGone.kid);
  });

  it('updates state transitions', async () => {
    const record = key({ state: 'next' });
    await ctx.stores.keys.insert(record);
    const promoted = { ...record, state: 'active' as const, activatedAt: NOW };
    await ctx.stores.keys.update(promoted);
    expect((await ctx.stores.keys.listAll()).find((k) => k.kid === record.kid)).toEqual(promoted);
  });

  it('removeExpired deletes only retired keys past removeAfter', async () => {
    const expired = key({ state: 'retired', retiredAt: NOW - 10, removeAfter: NOW - 1 });
    const live = key({ state: 'retired', retiredAt: NOW - 10, removeAfter: NOW + 100 });
    await ctx.stores.keys.insert(expired);
    await ctx.stores.keys.insert(live);
    expect(await ctx.stores.keys.removeExpired(NOW)).toBeGreaterThanOrEqual(1);
    const kids = (await ctx.stores.keys.listAll()).map((k) => k.kid);
    expect(kids).not.toContain(expired.kid);
    expect(kids).toContain(live.kid);
    expect(kids.length).toBeGreaterThanOrEqual(4); // the bootstrap keys are untouched
  });
});
