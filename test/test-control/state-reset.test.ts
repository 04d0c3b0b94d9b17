import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setEmergencyMode, emergencyState } from '../../src/security/emergency-mode.js';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/config.js';
import { attemptPassword, throttling } from '../../src/security/login-attempt.js';
import { RateLimits } from '../../src/security/rate-limits.js';
import { applySeedFile } from '../../src/seed/seed-file.js';
import { KEPT_TABLES } from '../../src/test-control/state-reset.js';
import { setPassword, verifyPassword } from '../../src/users/user-service.js';
import { registerClient, registerUser } from '../support/browser-flow.js';
import { backendName } from '../support/test-context.js';
import { basic, issueCode, postToken } from '../support/token-fixtures.js';
import { ADMIN, testControlNode, type TestControlNode } from './test-control-node.js';

const SEED_FILE = 'seed/example.json';
const SEED_PASSWORD = 'correct horse battery staple';
const SERVICE = { id: 'staging-service', secret: 'staging-service-secret-change-me-0123456789abcdef' };

describe('Castellan test control API: reset to the seed', () => {
  let node: TestControlNode;
  beforeAll(async () => {
    node = await testControlNode({ seedFile: SEED_FILE });
    await applySeedFile(node.ctx, SEED_FILE);
  });
  afterAll(async () => node.close());

  const count = async (table: string) => Number(((await node.base.knex(table).count({ n: '*' })) as { n: number | string }[])[0].n);

  it('MUST empty every data table, apply the seed again, and reset the clock, failures and incident state, in under a second', async () => {
    const keysBefore = await count('signing_keys');
    // State a test leaves behind: clients, users, grants and tokens, a forced failure, a moved clock, emergency mode.
    const extra = await registerClient(node.ctx);
    const { user } = await registerUser(node.ctx);
    const issued = await issueCode(node.ctx, { clientId: extra.clientId, userId: user.id });
    const token = await postToken(node.app, { grant_type: 'client_credentials' }, { Authorization: basic(SERVICE.id, SERVICE.secret) }).expect(200);
    await request(node.app).post('/admin/test/failures').set(ADMIN).send({ client_id: SERVICE.id, failure: 'server_error', count: 3 }).expect(201);
    await request(node.app).post('/admin/test/clock').set(ADMIN).send({ advance: 'PT2H' }).expect(200);
    await setEmergencyMode(node.ctx, true, 'drill', undefined);
    expect(await count('grants')).toBeGreaterThan(0);

    const started = performance.now();
    const reset = await request(node.app).post('/admin/test/reset').set(ADMIN).expect(200);
    const elapsed = performance.now() - started;
    console.log(`reset on ${backendName}: ${elapsed.toFixed(1)} ms over HTTP, ${reset.body.duration_ms} ms in the server`);
    expect(elapsed).toBeLessThan(1000);
    expect(reset.body).toMatchObject({ seed: { file: SEED_FILE, clients: 3, users: 1 }, rate_limit_counters: { stores: ['memory'] } });
    expect(reset.body.tables_emptied).toBeGreaterThan(15);

    const clients = (await node.base.knex('clients').select('client_id')).map((row: { client_id: string }) => row.client_id).sort();
    expect(clients).toEqual(['staging-native', 'staging-service', 'staging-web']);
    expect((await node.base.knex('users').select('username')).map((row: { username: string }) => row.username)).toEqual(['alice']);
    for (const table of ['grants', 'authorization_codes', 'access_tokens', 'refresh_tokens', 'sessions', 'test_failures', 'settings']) expect(await count(table), table).toBe(0);
    expect(await count('signing_keys')).toBe(keysBefore);
    expect(KEPT_TABLES).toContain('signing_keys');
    expect((await request(node.app).get('/admin/test/clock').set(ADMIN).expect(200)).body.offset_seconds).toBe(0);
    expect((await emergencyState(node.ctx)).active).toBe(false);
    // The cached client row of a deleted client is gone with it; the seeded clients work at once.
    await postToken(node.app, { grant_type: 'authorization_code', code: issued.code, redirect_uri: 'https://rp.example/cb', client_id: extra.clientId, code_verifier: issued.verifier }).expect(401);
    const again = await postToken(node.app, { grant_type: 'client_credentials' }, { Authorization: basic(SERVICE.id, SERVICE.secret) }).expect(200);
    expect(again.body.access_token).not.toBe(token.body.access_token);
  });

  it('MUST be repeatable: a second reset gives the same state', async () => {
    const first = (await request(node.app).post('/admin/test/reset').set(ADMIN).expect(200)).body;
    const second = (await request(node.app).post('/admin/test/reset').set(ADMIN).expect(200)).body;
    expect(second.seed).toEqual(first.seed);
    expect(await count('clients')).toBe(3);
  });

  it('MUST keep each seed user\'s sub across resets, and restore the seed password a test changed', async () => {
    const alice = async () => (await node.ctx.stores.users.findByUsername('alice'))!;
    const before = await alice();
    await setPassword(node.ctx, before.id, 'a password the test chose 123');
    await request(node.app).post('/admin/test/reset').set(ADMIN).expect(200);
    const after = await alice();
    expect(after.id).toBe(before.id);
    expect(await verifyPassword(node.ctx, 'alice', SEED_PASSWORD)).toMatchObject({ id: before.id });
    expect(await verifyPassword(node.ctx, 'alice', 'a password the test chose 123')).toBeUndefined();
    // Unchanged since the last reset: the stored hash is reused, not recomputed.
    await request(node.app).post('/admin/test/reset').set(ADMIN).expect(200);
    expect((await alice()).passwordHash).toBe(after.passwordHash);
  });
});

/** Limits a relying party's test trips quickly: two token requests a minute, two wrong passwords. */
const TIGHT = { seedFile: SEED_FILE, rateLimitEnabled: true, rateLimitToken: { points: 2, duration: 60 }, loginMaxAttemptsPerUserIp: 2 };
const WHO = { clientId: null, ip: '192.0.2.44' };

/** Trips the token rate limit of the seeded service client and the login throttle of alice from one address. */
async function tripLimits(node: TestControlNode): Promise<void> {
  const token = () => postToken(node.app, { grant_type: 'client_credentials' }, { Authorization: basic(SERVICE.id, SERVICE.secret) });
  await token().expect(200);
  await token().expect(200);
  await token().expect(429);
  expect(await attemptPassword(node.ctx, WHO, 'alice', 'wrong password 1')).toEqual({ kind: 'failed' });
  expect(await attemptPassword(node.ctx, WHO, 'alice', 'wrong password 2')).toEqual({ kind: 'failed' });
  expect(await attemptPassword(node.ctx, WHO, 'alice', SEED_PASSWORD)).toMatchObject({ kind: 'throttled' });
}

/** After the reset: the client gets tokens and alice signs in at once. */
async function expectLimitsFresh(node: TestControlNode): Promise<void> {
  await postToken(node.app, { grant_type: 'client_credentials' }, { Authorization: basic(SERVICE.id, SERVICE.secret) }).expect(200);
  expect(await attemptPassword(node.ctx, WHO, 'alice', SEED_PASSWORD)).toMatchObject({ kind: 'passed' });
}

describe('Castellan test control API: reset forgets rate-limit and login-throttle counters', () => {
  it('MUST clear the counters held in the process (rate limits and login throttle), and say how many went', async () => {
    const node = await testControlNode(TIGHT);
    try {
      await request(node.app).post('/admin/test/reset').set(ADMIN).expect(200);
      await tripLimits(node);
      const reset = await request(node.app).post('/admin/test/reset').set(ADMIN).expect(200);
      expect(reset.body.rate_limit_counters.stores).toEqual(['memory']);
      // The token window, the violation count, and the throttle's three counters and a gate, at least.
      expect(reset.body.rate_limit_counters.cleared).toBeGreaterThanOrEqual(5);
      await expectLimitsFresh(node);
    } finally {
      await node.close();
    }
  });

  it('MUST answer 503 temporarily_unavailable, not a server error, when a counter store fails after the data was reset, and a retried reset then does the whole job', async () => {
    const node = await testControlNode(TIGHT);
    try {
      await request(node.app).post('/admin/test/reset').set(ADMIN).expect(200);
      await tripLimits(node);
      await registerClient(node.ctx);
      const failing = vi.spyOn(node.ctx.limits, 'clearCounters').mockRejectedValueOnce(new Error('the counter store did not answer'));
      const refused = await request(node.app).post('/admin/test/reset').set(ADMIN).expect(503);
      expect(refused.body).toMatchObject({ error: 'temporarily_unavailable' });
      expect(refused.body.error_description).toMatch(/counters could not be cleared/);
      expect(refused.headers['retry-after']).toBe('1');
      expect(JSON.stringify(refused.body)).not.toContain('did not answer');
      // The data reset had happened: only the seed's clients are left.
      expect((await node.base.knex('clients').select('client_id')).length).toBe(3);
      const retried = await request(node.app).post('/admin/test/reset').set(ADMIN).expect(200);
      expect(failing).toHaveBeenCalledTimes(2);
      expect(retried.body.rate_limit_counters.cleared).toBeGreaterThanOrEqual(5);
      await expectLimitsFresh(node);
    } finally {
      vi.restoreAllMocks();
      await node.close();
    }
  });
});

const REDIS_URL = process.env.REDIS_URL;

describe.skipIf(!REDIS_URL)(`Castellan test control API: reset forgets counters kept in Redis${REDIS_URL ? '' : ' (skipped: REDIS_URL is not set)'}`, () => {
  it('MUST delete the counters under the node\'s key prefix in Redis, and nothing else there', async () => {
    // A prefix of this test's own, so tests sharing the Redis never see each other's counters.
    const namespace = `castellan-test-${randomBytes(6).toString('hex')}`;
    const limits = await RateLimits.create(loadConfig({}, { rateLimitEnabled: true, rateLimitToken: TIGHT.rateLimitToken, redisUrl: REDIS_URL }), undefined, { keyPrefix: namespace });
    const node = await testControlNode({ ...TIGHT, redisUrl: REDIS_URL }, { limits });
    const redis = new Redis(REDIS_URL as string);
    try {
      await request(node.app).post('/admin/test/reset').set(ADMIN).expect(200);
      // Another application's key, and one that merely starts like the prefix: both stay.
      await redis.set(`${namespace}-other:keep`, '1', 'EX', 60);
      await redis.set(`not-castellan:${namespace}:keep`, '1', 'EX', 60);
      await tripLimits(node);
      const before = await redis.keys(`${namespace}:*`);
      expect(before.some((key) => key.startsWith(`${namespace}:login:`))).toBe(true);
      expect(before.some((key) => key.startsWith(`${namespace}:rl:token:`))).toBe(true);

      // The throttle shares the limits' Redis and namespace: one SCAN over it clears both.
      const throttleClear = vi.spyOn(throttling(node.ctx), 'clearCounters');
      const reset = await request(node.app).post('/admin/test/reset').set(ADMIN).expect(200);
      expect(throttleClear).not.toHaveBeenCalled();
      expect(reset.body.rate_limit_counters).toEqual({ cleared: before.length, stores: ['redis'] });
      expect(await redis.keys(`${namespace}:*`)).toEqual([]);
      expect(await redis.exists(`${namespace}-other:keep`, `not-castellan:${namespace}:keep`)).toBe(2);
      await expectLimitsFresh(node);
    } finally {
      await redis.del(`${namespace}-other:keep`, `not-castellan:${namespace}:keep`, ...(await redis.keys(`${namespace}:*`)));
      vi.restoreAllMocks();
      await redis.quit();
      await node.close();
      await limits.close();
    }
  });
});
