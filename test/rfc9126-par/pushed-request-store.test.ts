/**
 * The pushed request store on the test backend (SQLite, or PostgreSQL with TEST_DATABASE_URL):
 * a request is read for its client while unexpired and unused, one conditional update uses it up
 * once; the retention pass deletes rows past expiry and grace.
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-4
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION } from '../../src/storage/sql/retention.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`pushed request store (${backendName})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  const insert = (handleHash: string, expiresAt: number) =>
    ctx.stores.pushedRequests.insert({ handleHash, clientId: 'web', params: { client_id: 'web', resource: ['https://api.example/'] }, createdAt: 1_000, expiresAt });

  it('MUST redeem a request once, for its client, before it expires', async () => {
    await insert('h-once', 2_000);
    const { pushedRequests } = ctx.stores;
    expect(await pushedRequests.find('h-once', 'other', 1_500)).toBeUndefined();
    expect(await pushedRequests.find('h-once', 'web', 2_000)).toBeUndefined();
    expect(await pushedRequests.find('h-once', 'web', 1_500)).toEqual({ client_id: 'web', resource: ['https://api.example/'] });
    // Reading does not use it up; only the client's consume does, once (even after expiry: the sign-in read it in time).
    expect(await pushedRequests.find('h-once', 'web', 1_600)).toBeDefined();
    expect(await pushedRequests.consume('h-once', 'other', 1_700)).toBe(false);
    expect(await pushedRequests.consume('h-once', 'web', 2_500)).toBe(true);
    expect(await pushedRequests.consume('h-once', 'web', 2_500)).toBe(false);
    expect(await pushedRequests.find('h-once', 'web', 1_500)).toBeUndefined();
  });

  it('lets only one of two concurrent redemptions win', async () => {
    await insert('h-race', 2_000);
    const results = await Promise.all([1, 2, 3].map(() => ctx.stores.pushedRequests.consume('h-race', 'web', 1_500)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('is purged by the retention pass once expired, after the grace a late sign-in may need', async () => {
    await insert('h-old', 1_100);
    await insert('h-live', 9_999_999_999);
    expect((await ctx.stores.retention.purgeExpired(1_200)).pushed_authorization_requests).toBe(0);
    const deleted = await ctx.stores.retention.purgeExpired(1_200 + DEFAULT_RETENTION.graceSeconds);
    expect(deleted.pushed_authorization_requests).toBeGreaterThanOrEqual(1);
    const left = (await ctx.knex('pushed_authorization_requests').select('handle_hash')).map((row) => row.handle_hash);
    expect(left).toContain('h-live');
    expect(left).not.toContain('h-old');
  });
});
