/**
 * Store conformance: the one-time-key (jti) replay store and the audit log. Runs on SQLite, and on
 * PostgreSQL when TEST_DATABASE_URL is set.
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-3 (a jti may be used only once)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashHandle, newHandle } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`ReplayStore conformance on ${backendName} (RFC 7523 §3 jti)`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('MUST remember a key once: true, then false while it is live', async () => {
    const key = hashHandle(newHandle());
    expect(await ctx.stores.replay.remember(key, 1_000, 900)).toBe(true);
    expect(await ctx.stores.replay.remember(key, 1_000, 950)).toBe(false);
    expect(await ctx.stores.replay.remember(key, 1_000, 999)).toBe(false);
  });

  it('accepts the key again once its entry has expired', async () => {
    const key = hashHandle(newHandle());
    expect(await ctx.stores.replay.remember(key, 1_000, 900)).toBe(true);
    expect(await ctx.stores.replay.remember(key, 2_000, 1_000)).toBe(true);
    expect(await ctx.stores.replay.remember(key, 2_000, 1_500)).toBe(false);
  });

  it('keeps different keys apart', async () => {
    expect(await ctx.stores.replay.remember(hashHandle(newHandle()), 1_000, 900)).toBe(true);
    expect(await ctx.stores.replay.remember(hashHandle(newHandle()), 1_000, 900)).toBe(true);
  });

  it('lets exactly one of 20 concurrent presentations of one key win', async () => {
    const key = hashHandle(newHandle());
    const results = await Promise.all(Array.from({ length: 20 }, () => ctx.stores.replay.remember(key, 1_000, 900)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe(`AuditStore conformance on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
    const events = [
      { type: 'token.issued', clientId: 'audit-a', userId: 'audit-u1', ip: '203.0.113.7', userAgent: 'curl/8', details: { grant_type: 'authorization_code' } },
      { type: 'token.issued', clientId: 'audit-b', userId: null },
      { type: 'login.failed', userId: 'audit-u1', ip: '203.0.113.7' },
      { type: 'grant.revoked', clientId: 'audit-a', details: { reason: 'code_replay' } },
    ];
    let at = 5_000;
    for (const event of events) await ctx.stores.audit.record(event, at++);
  });
  afterAll(() => ctx.close());

  it('records events with every field and lists the newest first', async () => {
    const listed = (await ctx.stores.audit.list({ clientId: 'audit-a' }));
    expect(listed.map((e) => e.type)).toEqual(['grant.revoked', 'token.issued']);
    expect(listed[1]).toMatchObject({
      at: 5_000, type: 'token.issued', clientId: 'audit-a', userId: 'audit-u1', ip: '203.0.113.7', userAgent: 'curl/8', details: { grant_type: 'authorization_code' },
    });
    expect(listed[0].id).toBeGreaterThan(listed[1].id);
  });

  it('filters by type, user and time, and honours the limit', async () => {
    expect((await ctx.stores.audit.list({ type: 'token.issued' })).map((e) => e.clientId).sort()).toEqual(['audit-a', 'audit-b']);
    expect((await ctx.stores.audit.list({ userId: 'audit-u1' })).map((e) => e.type)).toEqual(['login.failed', 'token.issued']);
    expect((await ctx.stores.audit.list({ since: 5_002 })).map((e) => e.at).filter((at) => at < 6_000)).toEqual([5_003, 5_002]);
    expect((await ctx.stores.audit.list({ type: 'token.issued', limit: 1 })).map((e) => e.clientId)).toEqual(['audit-b']);
    expect(await ctx.stores.audit.list({ type: 'token.issued', clientId: 'audit-b', userId: 'audit-u1' })).toEqual([]);
  });
});
