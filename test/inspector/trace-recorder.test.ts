/**
 * The recorder's bounds: per client in the store, a bounded queue in memory, and a failed write
 * that never reaches the request. Off, nothing is mounted and nothing recorded.
 */
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { QUEUE_LIMIT, recorderFor, TraceRecorder } from '../../src/inspector/trace-recorder.js';
import { createApp } from '../../src/server/app.js';
import type { RequestTrace } from '../../src/storage/request-trace-records.js';
import { basic, postToken, SECRET } from '../support/token-fixtures.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

const trace = (clientId: string): RequestTrace => ({ clientId, at: 1, endpoint: 'token', method: 'POST', status: 200, durationMs: 1, params: {}, masked: {}, issued: [] });

describe('Request inspector recorder', () => {
  let ctx: TestContext | undefined;
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });

  const withService = async (overrides: Parameters<typeof createTestContext>[0]) => {
    ctx = await createTestContext({ rateLimitToken: { points: 10_000, duration: 60 }, ...overrides });
    await createClient(ctx, { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'] });
    return { ctx, app: createApp(ctx), token: () => postToken(createApp(ctx!), { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) }) };
  };

  it('keeps at most INSPECTOR_MAX_PER_CLIENT requests per client, the newest', async () => {
    const rig = await withService({ inspectorMaxPerClient: 3 });
    for (let i = 0; i < 5; i += 1) expect((await rig.token()).status).toBe(200);
    await recorderFor(rig.ctx).flush();
    expect(await rig.ctx.stores.requestTraces.listByClient('svc', { limit: 10 })).toHaveLength(3);
  });

  it('answers the request normally and logs when the recording write fails', async () => {
    const rig = await withService({});
    vi.spyOn(rig.ctx.stores.requestTraces, 'append').mockRejectedValue(new Error('disk full'));
    const warn = vi.spyOn(rig.ctx.logger, 'warn');
    expect((await rig.token()).status).toBe(200);
    await recorderFor(rig.ctx).flush();
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), 'request inspector: traces not recorded');
  });

  it('is not mounted when INSPECTOR_ENABLED=false: nothing is recorded', async () => {
    const rig = await withService({ inspectorEnabled: false });
    expect((await rig.token()).status).toBe(200);
    await recorderFor(rig.ctx).flush();
    expect(await rig.ctx.stores.requestTraces.clients(10)).toEqual([]);
  });

  it('drops new traces beyond its queue limit instead of growing, and logs it once', async () => {
    const append = vi.fn(async () => undefined);
    const logger = pino({ level: 'silent' });
    const warn = vi.spyOn(logger, 'warn');
    const recorder = new TraceRecorder({ stores: { requestTraces: { append } } as never, config: { inspectorMaxPerClient: 200 } as never, logger });
    for (let i = 0; i < QUEUE_LIMIT + 25; i += 1) recorder.push({ trace: trace('busy') });
    await recorder.flush();
    const written = append.mock.calls.reduce((sum, call) => sum + (call as unknown as [RequestTrace[]])[0].length, 0);
    expect(written).toBe(QUEUE_LIMIT);
    expect(warn.mock.calls.filter((call) => call[1] === 'request inspector: queue full, dropping traces')).toHaveLength(1);
  });

  it('flushes what is queued when the context shuts down', async () => {
    const rig = await withService({});
    await request(rig.app).post('/token').type('form').set('authorization', basic('svc', SECRET)).send('grant_type=client_credentials');
    for (const hook of rig.ctx.shutdown.splice(0)) await hook();
    expect(await rig.ctx.stores.requestTraces.listByClient('svc', { limit: 10 })).toHaveLength(1);
  });
});
