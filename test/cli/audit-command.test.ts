/**
 * `castellan audit`: the newest events oldest first, filters, --since exports every match as JSON
 * lines, and --follow picks up new events.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.2)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { followAudit, parseTime } from '../../src/cli/audit-command.js';
import type { StoredAuditEvent } from '../../src/storage/stores.js';
import { cliRig, type CliRig } from './cli-harness.js';

describe('castellan audit (SQLite file)', () => {
  let rig: CliRig;
  let now: number;
  let userId: string;

  beforeAll(async () => {
    rig = cliRig();
    expect((await rig.cli(['users', 'add', 'auditee', '--password', 'a long enough password'])).code).toBe(0);
    now = Math.floor(Date.now() / 1000);
    await rig.withStores(async (stores) => {
      userId = (await stores.users.findByUsername('auditee'))!.id;
      await stores.audit.record({ type: 'login.failed', ip: '198.51.100.7', userAgent: 'Browser/1', clientId: 'shop' }, now - 7_200);
      await stores.audit.record({ type: 'login.succeeded', ip: '198.51.100.8', userId, clientId: 'shop', details: { amr: ['pwd'] } }, now - 3_000);
      for (let i = 0; i < 60; i += 1) await stores.audit.record({ type: 'token.issued', clientId: 'svc', ip: `10.0.0.${i}`, details: { grant_type: 'client_credentials' } }, now - 600 + i);
    });
  });

  it('prints the newest 50 events, oldest first, one per line', async () => {
    const result = await rig.cli(['audit']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    expect(lines[49]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  token\.issued +client=svc  ip=10\.0\.0\.59  \{"grant_type":"client_credentials"\}$/);
    expect(lines[0]).toContain('ip=10.0.0.10');
  });

  it('writes JSON lines with --json, and filters by type prefix, address, client and user', async () => {
    const json = await rig.cli(['audit', '--type', 'login.*', '--json']);
    const events = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(events.map((e) => e.type)).toEqual(['login.failed', 'login.succeeded']);
    expect(events[0]).toEqual({
      id: expect.any(Number), at: now - 7_200, time: new Date((now - 7_200) * 1000).toISOString().replace('.000Z', 'Z'), type: 'login.failed',
      client_id: 'shop', user_id: null, ip: '198.51.100.7', user_agent: 'Browser/1', details: null,
    });
    const byIp = await rig.cli(['audit', '--ip', '198.51.100.8', '--json']);
    expect(byIp.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).type)).toEqual(['login.succeeded']);
    const byUser = await rig.cli(['audit', '--user', 'auditee', '--json']);
    expect(byUser.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).type)).toEqual(['user.created', 'login.succeeded']);
    expect((await rig.cli(['audit', '--user', userId, '--json'])).stdout).toBe(byUser.stdout);
    const byClient = await rig.cli(['audit', '--client', 'shop', '-n', '1']);
    expect(byClient.stdout).toMatch(/login\.succeeded +client=shop  user=[0-9a-f]{32}  ip=198\.51\.100\.8  \{"amr":\["pwd"\]\}\n$/);
  });

  it('exports every event of a time range with --since (no 50 limit) and --until', async () => {
    const all = await rig.cli(['audit', '--since', 'PT20M', '--type', 'token.issued', '--json']);
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(60);
    const iso = (t: number) => new Date(t * 1000).toISOString();
    const range = await rig.cli(['audit', '--since', iso(now - 600), '--until', iso(now - 590), '--json']);
    expect(range.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).ip)).toEqual(Array.from({ length: 10 }, (_, i) => `10.0.0.${i}`));
  });

  it.each([
    [['audit', '--since', 'yesterday'], /^castellan: option '--since <time>' argument 'yesterday' is invalid\. expected an ISO 8601 time/],
    [['audit', '-n', '0'], /^castellan: option '-n, --limit <n>' argument '0' is invalid\. expected a positive integer$/m],
  ])('exits 1 with one line for %j', async (argv, message) => {
    const result = await rig.cli(argv);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd()).toMatch(message);
  });

  it('parses times as ISO 8601 instants or durations back from now', () => {
    expect(parseTime('PT1H', 10_000)).toBe(6_400);
    expect(parseTime('2026-01-31T12:00:00Z')).toBe(Date.UTC(2026, 0, 31, 12) / 1000);
    expect(parseTime('2026-01-31')).toBe(Date.UTC(2026, 0, 31) / 1000);
    expect(() => parseTime('1h')).toThrow();
  });

  it('follows new events matching the filter until stopped', async () => {
    await rig.withStores(async (stores) => {
      const [latest] = await stores.audit.list({ limit: 1 });
      const seen: StoredAuditEvent[] = [];
      const stop = new AbortController();
      const following = followAudit(stores, { types: ['ip.*'] }, latest.id, (event) => seen.push(event), stop.signal, 20);
      await stores.audit.record({ type: 'token.issued', clientId: 'svc' }, now);
      await stores.audit.record({ type: 'ip.blocked', ip: '203.0.113.9' }, now);
      await expect.poll(() => seen.length, { timeout: 2_000 }).toBe(1);
      stop.abort();
      await following;
      expect(seen[0]).toMatchObject({ type: 'ip.blocked', ip: '203.0.113.9' });
    });
  });
});
