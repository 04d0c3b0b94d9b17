/**
 * Store conformance: the request inspector's recordings, bounded per client and in time. Runs on
 * SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestTrace } from '../../src/storage/request-trace-records.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const trace = (clientId: string, at: number, overrides: Partial<RequestTrace> = {}): RequestTrace => ({
  clientId, at, endpoint: 'token', method: 'POST', status: 200, durationMs: 3, params: { grant_type: 'client_credentials' }, masked: {}, issued: [], ...overrides,
});

describe(`RequestTraceStore conformance on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ inspectorEnabled: false });
  });
  afterAll(() => ctx.close());

  it('returns a client\'s traces newest first, with every recorded detail', async () => {
    await ctx.stores.requestTraces.append([
      trace('app-a', 100),
      trace('app-a', 101, { status: 400, error: { code: 'invalid_grant', description: 'code already used', requirement: 'RFC6749-4.1.2-1' }, masked: { code: { length: 43, hint: 'abcdef012345' } } }),
      trace('app-b', 102),
    ], 200);
    const listed = await ctx.stores.requestTraces.listByClient('app-a', { limit: 10 });
    expect(listed.map((t) => t.at)).toEqual([101, 100]);
    expect(listed[0]).toMatchObject({ clientId: 'app-a', endpoint: 'token', method: 'POST', status: 400, error: { code: 'invalid_grant', requirement: 'RFC6749-4.1.2-1' }, masked: { code: { length: 43, hint: 'abcdef012345' } } });
    expect(listed[0].id).toBeGreaterThan(listed[1].id!);
  });

  it('lists only newer traces, oldest first, after a known id (following)', async () => {
    const [newest] = await ctx.stores.requestTraces.listByClient('app-a', { limit: 1 });
    await ctx.stores.requestTraces.append([trace('app-a', 103), trace('app-a', 104)], 200);
    const newer = await ctx.stores.requestTraces.listByClient('app-a', { limit: 10, afterId: newest.id });
    expect(newer.map((t) => t.at)).toEqual([103, 104]);
  });

  it('keeps at most maxPerClient traces per client, dropping the oldest, and leaves other clients alone', async () => {
    for (let batch = 0; batch < 3; batch += 1) {
      await ctx.stores.requestTraces.append(Array.from({ length: 4 }, (_, i) => trace('bounded', 1000 + batch * 4 + i)), 5);
    }
    const kept = await ctx.stores.requestTraces.listByClient('bounded', { limit: 100 });
    expect(kept.map((t) => t.at)).toEqual([1011, 1010, 1009, 1008, 1007]);
    expect(await ctx.stores.requestTraces.listByClient('app-b', { limit: 10 })).toHaveLength(1);
  });

  it('lists clients with activity, most recent first, counting errors', async () => {
    const clients = await ctx.stores.requestTraces.clients(10);
    expect(clients[0]).toMatchObject({ clientId: 'bounded', requests: 5, errors: 0, lastAt: 1011 });
    expect(clients.find((c) => c.clientId === 'app-a')).toMatchObject({ requests: 4, errors: 1 });
  });

  it('is cleaned by the retention pass after INSPECTOR_RETENTION', async () => {
    const now = 50_000;
    await ctx.stores.requestTraces.append([trace('aged', now - 7200), trace('aged', now - 60)], 200);
    const deleted = await ctx.stores.retention.purgeExpired(now, { batchSize: 100, graceSeconds: 0, auditRetentionSeconds: 86_400, maxBatchesPerTable: 10, requestTraceRetentionSeconds: 3600 });
    expect(deleted.request_traces).toBeGreaterThanOrEqual(1);
    expect((await ctx.stores.requestTraces.listByClient('aged', { limit: 10 })).map((t) => t.at)).toEqual([now - 60]);
  });
});
