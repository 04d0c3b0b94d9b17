import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { loadConfig } from '../../src/config/config.js';
import { bootstrap } from '../../src/server/bootstrap.js';
import { releaseContext } from '../../src/server/context.js';
import { CLOCK_REFRESH_MS } from '../../src/test-control/test-clock.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { createTestContext } from '../support/test-context.js';
import { basic, postToken } from '../support/token-fixtures.js';
import { ADMIN, testControlNode, type TestControlNode } from './test-control-node.js';

const SECRET = 'test-clock-service-secret-0123456789abcdefgh';

describe('Castellan test control API: the shared clock', () => {
  let node: TestControlNode;
  let service: ClientRecord;

  beforeAll(async () => {
    node = await testControlNode({}, { fileDatabase: true });
    service = (await createClient(node.ctx, { client_name: 'Service', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET, scope: 'api' })).record;
  });
  afterAll(async () => node.close());

  it('MUST make every expiry decision follow the moved clock: an access token expires when the clock passes its lifetime', async () => {
    const issued = await postToken(node.app, { grant_type: 'client_credentials' }, { Authorization: basic(service.clientId, SECRET) }).expect(200);
    const introspect = () => request(node.app).post('/introspect').type('form').set('Authorization', basic(service.clientId, SECRET)).send({ token: issued.body.access_token }).expect(200);
    expect((await introspect()).body.active).toBe(true);
    await request(node.app).post('/admin/test/clock').set(ADMIN).send({ advance: issued.body.expires_in - 30 }).expect(200);
    expect((await introspect()).body.active).toBe(true);
    await request(node.app).post('/admin/test/clock').set(ADMIN).send({ advance: 'PT1M' }).expect(200);
    expect((await introspect()).body.active).toBe(false);
    // Back to real time: the token is still valid then (nothing was deleted, only the clock moved).
    await request(node.app).delete('/admin/test/clock').set(ADMIN).expect(200);
    expect((await introspect()).body.active).toBe(true);
  });

  it('MUST share the offset: another node sees a move within one second, and the moving node at once', async () => {
    const other = await node.otherNode();
    expect(Math.abs(other.clock() - node.ctx.clock())).toBeLessThanOrEqual(1);
    const moved = await request(node.app).post('/admin/test/clock').set(ADMIN).send({ advance: 'P1D' }).expect(200);
    const started = performance.now();
    expect(node.ctx.clock()).toBeGreaterThanOrEqual(moved.body.now);
    while (other.clock() < moved.body.now && performance.now() - started < 3000) await new Promise((resolve) => setTimeout(resolve, 20));
    const seenAfter = performance.now() - started;
    expect(other.clock()).toBeGreaterThanOrEqual(moved.body.now);
    expect(seenAfter).toBeLessThan(1000);
    expect(CLOCK_REFRESH_MS).toBeLessThanOrEqual(1000);
    await request(node.app).delete('/admin/test/clock').set(ADMIN).expect(200);
  });
});

describe('Castellan test control API: off by default', () => {
  it('MUST leave the plain clock in place when TEST_CONTROL_ENABLED is off, whatever the database holds', async () => {
    const ctx = await createTestContext();
    try {
      await ctx.stores.settings.put('test_clock_offset', { seconds: 86_400 }, ctx.clock());
      const plain = await bootstrap(ctx.config, { stores: ctx.stores, sealer: ctx.sealer, clock: ctx.clock, limits: ctx.limits });
      expect(plain.clock).toBe(ctx.clock);
      await releaseContext(plain);
    } finally {
      await ctx.close();
    }
  });

  it('MUST refuse TEST_CONTROL_ENABLED in production and without ADMIN_TOKEN', () => {
    expect(() => loadConfig({ TEST_CONTROL_ENABLED: 'true' }, { logLevel: 'silent' })).toThrow(/TEST_CONTROL_ENABLED=true needs ADMIN_TOKEN/);
    expect(() => loadConfig({ TEST_CONTROL_ENABLED: 'true', CASTELLAN_PRODUCTION: 'true', ADMIN_TOKEN: 'a'.repeat(40) }, { logLevel: 'silent' })).toThrow(/refused when CASTELLAN_PRODUCTION=true/);
    expect(loadConfig({}, { logLevel: 'silent' }).testControlEnabled).toBe(false);
  });
});
