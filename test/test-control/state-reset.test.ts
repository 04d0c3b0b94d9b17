import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setEmergencyMode, emergencyState } from '../../src/security/emergency-mode.js';
import { memoryBackend } from '../../src/security/rate-limit-backend.js';
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
    expect(reset.body).toMatchObject({ seed: { file: SEED_FILE, clients: 3, users: 1 }, rate_limit_counters_cleared: true });
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

  it('MUST start the rate-limit counters of the process afresh, and say so only when they are in the process', async () => {
    const limits = new RateLimits({ ...node.ctx.config, rateLimitToken: { points: 1, duration: 60 } }, memoryBackend());
    expect((await limits.consume('token', 'client-a')).allowed).toBe(true);
    expect((await limits.consume('token', 'client-a')).allowed).toBe(false);
    expect(limits.forgetLocalCounters()).toBe(true);
    expect((await limits.consume('token', 'client-a')).allowed).toBe(true);
    const shared = new RateLimits(node.ctx.config, { kind: 'redis', open: async () => memoryBackend() });
    expect(shared.forgetLocalCounters()).toBe(false);
  });
});
