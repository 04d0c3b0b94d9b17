/**
 * `castellan ip block|unblock|list` against a SQLite file, with a running node on the same file that
 * refuses the address within STATE_REFRESH_SECONDS.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_REFRESH_SECONDS } from '../../src/security/ip-blocklist.js';
import { cliRig, type CliRig } from './cli-harness.js';
import { runningNode, type RunningNode } from './running-node.js';

describe('castellan ip (SQLite file)', () => {
  let rig: CliRig;
  let node: RunningNode;
  beforeAll(async () => {
    rig = cliRig();
    node = await runningNode(rig, { TRUSTED_PROXIES: '127.0.0.1,::1' });
  });
  afterAll(() => node.close());

  const jwks = (ip: string) => request(node.app).get('/jwks').set('x-forwarded-for', ip);

  it('blocks an address on the running node within seconds, and unblocks it', async () => {
    await jwks('198.51.100.5').expect(200);
    expect(await rig.cli(['ip', 'block', '198.51.100.5', '--reason', 'scanner'])).toMatchObject({ code: 0, stdout: 'Blocked 198.51.100.5 until unblocked.\n' });
    node.ctx.clock.advance(STATE_REFRESH_SECONDS);
    expect((await jwks('198.51.100.5').expect(403)).body.error).toBe('access_denied');
    expect(await rig.cli(['ip', 'unblock', '198.51.100.5'])).toMatchObject({ code: 0, stdout: 'Unblocked 198.51.100.5.\n' });
    node.ctx.clock.advance(STATE_REFRESH_SECONDS);
    await jwks('198.51.100.5').expect(200);
  });

  it('blocks a CIDR range for a duration and lists the blocks in force', async () => {
    const blocked = await rig.cli(['ip', 'block', '2001:DB8::/32', '--duration', 'PT1H']);
    expect(blocked.stdout).toMatch(/^Blocked 2001:db8::\/32 until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.\n$/);
    await rig.cli(['ip', 'block', '::ffff:203.0.113.4', '--reason', 'manual']);
    const table = await rig.cli(['ip', 'list']);
    expect(table.stdout).toMatch(/^ADDRESS +SOURCE +SINCE +UNTIL +REASON\n/);
    expect(table.stdout).toMatch(/^203\.0\.113\.4 +operator +\S+ +unblocked +manual$/m);
    const listed = JSON.parse((await rig.cli(['ip', 'list', '--json'])).stdout) as { ip: string; source: string; expires_at: number | null }[];
    expect(listed.map((b) => b.ip)).toEqual(['2001:db8::/32', '203.0.113.4']);
    expect(listed[0].expires_at).toBeGreaterThan(Date.now() / 1000 + 3_500);
    node.ctx.clock.advance(STATE_REFRESH_SECONDS);
    await jwks('2001:db8:1::7').expect(403);
    const events = await rig.withStores((stores) => stores.audit.list({ type: 'ip.blocked', ip: '203.0.113.4' }));
    expect(events[0].details).toMatchObject({ reason: 'manual', source: 'operator', expires_at: null });
  });

  it.each([
    [['ip', 'block', 'example.com'], /^castellan: example\.com is not an IP address or CIDR range$/],
    [['ip', 'block', '10.0.0.1', '--duration', '1h'], /^castellan: option '--duration <duration>' argument '1h' is invalid\. expected an ISO 8601 duration/],
    [['ip', 'unblock', '192.0.2.1'], /^castellan: 192\.0\.2\.1 is not blocked$/],
  ])('exits 1 with one line for %j', async (argv, message) => {
    const result = await rig.cli(argv);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toMatch(message);
  });
});
