/**
 * `castellan trace CLIENT_ID`: a client's recorded requests from the database, oldest of the newest
 * first, as lines or JSON lines, and --follow picking up new ones.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { followTraces } from '../../src/cli/trace-command.js';
import type { RequestTrace } from '../../src/storage/request-trace-records.js';
import { cliRig, type CliRig } from './cli-harness.js';

const trace = (at: number, overrides: Partial<RequestTrace> = {}): RequestTrace => ({
  clientId: 'shop', at, endpoint: 'token', method: 'POST', status: 200, durationMs: 2, params: { grant_type: 'authorization_code', code: '[masked]' },
  masked: { code: { length: 43, hint: '0123456789ab' } }, issued: [{ kind: 'access_token', format: 'opaque', hint: 'ba9876543210', expiresIn: 3600 }], ...overrides,
});

describe('castellan trace (SQLite file)', () => {
  let rig: CliRig;
  const now = 1_800_000_000;

  beforeAll(async () => {
    rig = cliRig();
    expect((await rig.cli(['migrate'])).code).toBe(0);
    await rig.withStores((stores) => stores.requestTraces.append([
      ...Array.from({ length: 25 }, (_, i) => trace(now + i)),
      trace(now + 30, { status: 400, error: { code: 'invalid_grant', description: 'code already used', requirement: 'RFC6749-4.1.2-1' }, issued: [] }),
      trace(now + 31, { clientId: 'other' }),
    ], 200));
  });

  it('prints the newest 20 requests of the client, oldest first, one line each with error and what was issued', async () => {
    const result = await rig.cli(['trace', 'shop']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[19]).toBe('2027-01-15T08:00:30Z  POST token                  400  error=invalid_grant (RFC6749-4.1.2-1) "code already used"  grant_type=authorization_code code=[masked]');
    expect(lines[18]).toMatch(/ 200  grant_type=authorization_code code=\[masked\]  issued=access_token\(opaque\)$/);
  });

  it('writes JSON lines with --json and honours --limit', async () => {
    const result = await rig.cli(['trace', 'shop', '--json', '-n', '2']);
    const lines = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ client_id: 'shop', endpoint: 'token', status: 400, error: { code: 'invalid_grant' }, masked: { code: { hint: '0123456789ab' } } });
  });

  it('says so when a client has no recorded requests, and refuses a bad --limit', async () => {
    expect(await rig.cli(['trace', 'nobody'])).toMatchObject({ code: 0, stdout: '', stderr: 'No recorded requests of nobody.\n' });
    const bad = await rig.cli(['trace', 'shop', '-n', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/expected an integer from 1 to 10000/);
  });

  it('follows new requests of the client until stopped', async () => {
    await rig.withStores(async (stores) => {
      const [latest] = await stores.requestTraces.listByClient('shop', { limit: 1 });
      const seen: RequestTrace[] = [];
      const stop = new AbortController();
      const following = followTraces(stores, 'shop', latest.id!, (t) => seen.push(t), stop.signal, 20);
      await stores.requestTraces.append([trace(now + 40, { clientId: 'other' }), trace(now + 41, { endpoint: 'userinfo', method: 'GET' })], 200);
      await expect.poll(() => seen.length, { timeout: 2_000 }).toBe(1);
      stop.abort();
      await following;
      expect(seen[0]).toMatchObject({ clientId: 'shop', endpoint: 'userinfo' });
    });
  });
});
