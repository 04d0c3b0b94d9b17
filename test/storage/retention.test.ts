import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetentionPolicy } from '../../src/storage/sql/retention.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`retention job (${backendName})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  const count = async (table: string) => Number((await ctx.database.one(`select count(*) as "n" from "${table}"`))?.n);
  const purgeExpired = (now: number, policy?: RetentionPolicy) => ctx.stores.retention.purgeExpired(now, policy);

  it('deletes expired rows in batches and keeps live ones', async () => {
    const now = ctx.clock();
    const row = (i: number, expiresAt: number) => ({
      token_hash: `h${i}`, format: 'opaque', grant_id: 'g', client_id: 'c', scope: 's', audience: null, created_at: now - 10, expires_at: expiresAt,
    });
    const expired = Array.from({ length: 250 }, (_, i) => row(i, now - 200_000));
    const live = Array.from({ length: 20 }, (_, i) => row(1000 + i, now + 3600));
    await ctx.knex.batchInsert('access_tokens', [...expired, ...live], 100);
    const result = await purgeExpired(now, { batchSize: 100, graceSeconds: 86_400, auditRetentionSeconds: 86_400, maxBatchesPerTable: 10 });
    expect(result.access_tokens).toBe(250);
    expect(await count('access_tokens')).toBe(20);
  });

  it('keeps rows within the grace period so late replays are still recognised', async () => {
    const now = ctx.clock();
    await ctx.stores.insertNewRows({ authorizationCodes: [{ codeHash: 'recent', grantId: 'g', clientId: 'c', redirectUri: 'https://x', codeChallenge: null, codeChallengeMethod: null, nonce: null, scope: 'openid', createdAt: now - 700, expiresAt: now - 100, consumedAt: now - 600 }] });
    const stored = () => ctx.knex('authorization_codes').where({ code_hash: 'recent' });
    await purgeExpired(now);
    expect(await stored()).toHaveLength(1);
    await purgeExpired(now + 86_400);
    expect(await stored()).toHaveLength(0);
  });

  it('bounds one run by maxBatchesPerTable', async () => {
    const now = ctx.clock();
    await ctx.knex.batchInsert('audit_events', Array.from({ length: 50 }, () => ({ at: now - 10 * 86_400, type: 'old' })), 50);
    const result = await purgeExpired(now, { batchSize: 10, graceSeconds: 0, auditRetentionSeconds: 86_400, maxBatchesPerTable: 2 });
    expect(result.audit_events).toBe(20);
    expect(await count('audit_events')).toBeGreaterThanOrEqual(30);
  });
});
