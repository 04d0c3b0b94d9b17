/**
 * The retention pass deletes audit events older than AUDIT_RETENTION and keeps the rest.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.4)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRetention } from '../../src/security/audit-retention.js';
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
});
