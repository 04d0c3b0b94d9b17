/**
 * Store conformance for incident state and the audit queries of threat detection and `castellan
 * audit`, on SQLite and PostgreSQL: blocks (expiry, conditional add), settings, findings recorded
 * once, audit filters (type prefixes matched literally), per-address and per-client aggregates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpBlockRecord } from '../../src/storage/stores.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`incident and audit stores (${backendName})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  const block = (ip: string, expiresAt: number | null, source: IpBlockRecord['source'] = 'detector'): IpBlockRecord => ({ ip, reason: 'r', source, createdAt: 1_000, expiresAt });

  it('keeps blocks in force until they expire; add is refused while one is in force and replaces an expired one', async () => {
    const { ipBlocks } = ctx.stores;
    expect(await ipBlocks.add(block('203.0.113.1', 2_000), 1_000)).toBe(true);
    expect(await ipBlocks.add(block('203.0.113.1', 3_000), 1_500)).toBe(false);
    expect(await ipBlocks.add(block('203.0.113.2', null), 1_000)).toBe(true);
    expect((await ipBlocks.listActive(1_999)).map((b) => b.ip)).toEqual(['203.0.113.1', '203.0.113.2']);
    expect((await ipBlocks.listActive(2_000)).map((b) => b.ip)).toEqual(['203.0.113.2']);
    expect(await ipBlocks.add(block('203.0.113.1', 5_000), 2_000)).toBe(true);
    expect((await ipBlocks.listActive(4_000)).find((b) => b.ip === '203.0.113.1')).toEqual(block('203.0.113.1', 5_000));
    await ipBlocks.put(block('203.0.113.1', null, 'operator'));
    expect((await ipBlocks.listActive(9_000)).find((b) => b.ip === '203.0.113.1')).toMatchObject({ source: 'operator', expiresAt: null });
    expect(await ipBlocks.remove('203.0.113.1')).toBe(true);
    expect(await ipBlocks.remove('203.0.113.1')).toBe(false);
  });

  it('stores settings as JSON and replaces them', async () => {
    expect(await ctx.stores.settings.get('flag')).toBeUndefined();
    await ctx.stores.settings.put('flag', { active: true, since: 5 }, 10);
    await ctx.stores.settings.put('flag', { active: false }, 20);
    expect(await ctx.stores.settings.get('flag')).toEqual({ value: { active: false }, updatedAt: 20 });
  });

  it('records a finding once per subject within the period and once per window', async () => {
    const { findings } = ctx.stores;
    const finding = { kind: 'client_flagged', subject: 'c1', details: { n: 1 }, createdAt: 10_000, windowStart: 7_200 };
    expect(await findings.recordOnce(finding, 10_000 - 3_600)).toBe(true);
    expect(await findings.recordOnce({ ...finding, createdAt: 10_500 }, 10_500 - 3_600)).toBe(false);
    // Same window even when the look-back misses it: the unique key decides.
    expect(await findings.recordOnce({ ...finding, createdAt: 20_000 }, 20_000)).toBe(false);
    expect(await findings.recordOnce({ ...finding, createdAt: 20_000, windowStart: 18_000 }, 20_000 - 3_600)).toBe(true);
    expect(await findings.recordOnce({ ...finding, subject: 'c2' }, 0)).toBe(true);
    const listed = await findings.list({ kind: 'client_flagged' });
    expect(listed.map((f) => [f.subject, f.createdAt])).toEqual([['c2', 10_000], ['c1', 20_000], ['c1', 10_000]]);
    expect(listed[2].details).toEqual({ n: 1 });
  });

  describe('audit queries', () => {
    beforeAll(async () => {
      const { audit } = ctx.stores;
      const events: [string, string | null, string | null, number][] = [
        ['login.failed', null, '198.51.100.1', 100], ['login.failed', 'a', '198.51.100.1', 110], ['mfa.failed', 'a', '198.51.100.1', 120],
        ['login.failed', null, '198.51.100.2', 130], ['login_x.other', 'b', '198.51.100.3', 140], ['token.issued', 'a', '198.51.100.4', 150],
        ['token.issued', 'a', '198.51.100.5', 160], ['token.issued', 'b', '198.51.100.5', 170], ['token.issued', 'b', null, 180],
      ];
      for (const [type, clientId, ip, at] of events) await audit.record({ type, clientId, ip, userAgent: 'ua' }, at);
    });

    it('filters by types, exact or by prefix (LIKE wildcards matched literally), address, time and id', async () => {
      const { audit } = ctx.stores;
      const types = async (filter: Parameters<typeof audit.list>[0]) => (await audit.list({ order: 'asc', ...filter })).map((e) => `${e.type}@${e.at}`);
      expect(await types({ types: ['login.*'] })).toEqual(['login.failed@100', 'login.failed@110', 'login.failed@130']);
      expect(await types({ types: ['login_*'] })).toEqual(['login_x.other@140']);
      expect(await types({ types: ['mfa.failed', 'token.*'], ip: '198.51.100.5' })).toEqual(['token.issued@160', 'token.issued@170']);
      expect(await types({ since: 150, until: 180 })).toEqual(['token.issued@150', 'token.issued@160', 'token.issued@170']);
      const [first] = await audit.list({ order: 'asc', limit: 1 });
      expect((await audit.list({ afterId: first.id, order: 'asc', limit: 2 })).map((e) => e.at)).toEqual([110, 120]);
      expect((await audit.list({ limit: 2 })).map((e) => e.at)).toEqual([180, 170]);
    });

    it('counts events per address at or above a minimum, since a time', async () => {
      const counts = await ctx.stores.audit.countByIp(['login.failed', 'mfa.failed'], 100, 2);
      expect(counts).toEqual([{ ip: '198.51.100.1', count: 3 }]);
      expect(await ctx.stores.audit.countByIp(['login.failed', 'mfa.failed'], 101, 3)).toEqual([]);
    });

    it('reports clients by distinct addresses and events', async () => {
      const spread = await ctx.stores.audit.clientSpread(['token.issued'], 0, 2, 2);
      expect(spread).toEqual([{ clientId: 'a', ips: 2, events: 2 }]);
      expect(await ctx.stores.audit.clientSpread(['token.issued'], 0, 2, 3)).toEqual([]);
    });
  });
});
