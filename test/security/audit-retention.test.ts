/**
 * The retention pass deletes audit events older than AUDIT_RETENTION and keeps the rest.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.4)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backlogRemains, runRetention, startRetention } from '../../src/security/audit-retention.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`AUDIT_RETENTION (${backendName})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ auditRetention: 30 * 86_400 });
  });
  afterAll(() => ctx.close());

  it('MUST delete audit events older than the retention and keep younger ones', async () => {
    const now = ctx.clock();
    await ctx.stores.audit.record({ type: 'retention.old' }, now - 31 * 86_400);
    await ctx.stores.audit.record({ type: 'retention.young' }, now - 29 * 86_400);
    const deleted = await runRetention(ctx);
    expect(deleted.audit_events).toBeGreaterThanOrEqual(1);
    expect(await ctx.stores.audit.list({ types: ['retention.*'] })).toEqual([expect.objectContaining({ type: 'retention.young' })]);
  });

  it('MUST keep deleting without waiting for the next interval while a pass ends at its cap (storage stays bounded)', async () => {
    const old = ctx.clock() - 31 * 86_400;
    for (let i = 0; i < 100; i += 1) await ctx.stores.audit.record({ type: 'retention.backlog' }, old);
    const policy = { batchSize: 10, graceSeconds: 86_400, auditRetentionSeconds: 0, maxBatchesPerTable: 2 };
    expect(backlogRemains({ audit_events: 20 }, policy)).toBe(true);
    expect(backlogRemains({ audit_events: 19 }, policy)).toBe(false);
    // Five passes are needed; at the idle interval that would take four minutes.
    const stop = startRetention(ctx, { initialMs: 5, idleMs: 60_000, backlogMs: 5, policy });
    try {
      for (let wait = 0; wait < 100; wait += 1) {
        if ((await ctx.stores.audit.list({ type: 'retention.backlog', limit: 1 })).length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await ctx.stores.audit.list({ type: 'retention.backlog', limit: 1 })).toEqual([]);
    } finally {
      await stop();
    }
  });
});
