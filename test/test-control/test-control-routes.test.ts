import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { registerClient } from '../support/browser-flow.js';
import { createTestContext } from '../support/test-context.js';
import { ADMIN, ADMIN_TOKEN, testControlNode, type TestControlNode } from './test-control-node.js';

describe('Castellan test control API: the gate', () => {
  it('MUST answer 404 when TEST_CONTROL_ENABLED is off, even with the admin token', async () => {
    const ctx = await createTestContext({ adminToken: ADMIN_TOKEN });
    try {
      const response = await request(createApp(ctx)).get('/admin/test/status').set(ADMIN).expect(404);
      expect(response.body.error).toBe('invalid_request');
      await request(createApp(ctx)).post('/admin/test/reset').set(ADMIN).expect(404);
    } finally {
      await ctx.close();
    }
  });

  it('MUST answer 401 with a Basic challenge without the admin token, and accept it as Bearer or Basic password', async () => {
    const node = await testControlNode();
    try {
      const refused = await request(node.app).get('/admin/test/status').expect(401);
      expect(refused.headers['www-authenticate']).toMatch(/^Basic /);
      await request(node.app).get('/admin/test/status').set('Authorization', 'Bearer wrong-token-0123456789abcdefghijklmnop').expect(401);
      await request(node.app).get('/admin/test/status').set(ADMIN).expect(200);
      await request(node.app).get('/admin/test/status').auth('anyone', ADMIN_TOKEN).expect(200);
    } finally {
      await node.close();
    }
  });
});

describe('Castellan test control API: endpoints', () => {
  let node: TestControlNode;
  beforeAll(async () => {
    node = await testControlNode();
  });
  afterAll(async () => node.close());

  it('MUST move the clock forward by an ISO 8601 duration or seconds, and DELETE returns to real time', async () => {
    const before = node.ctx.clock();
    const moved = await request(node.app).post('/admin/test/clock').set(ADMIN).send({ advance: 'PT1H' }).expect(200);
    expect(moved.body.offset_seconds).toBe(3600);
    expect(node.ctx.clock() - before).toBeGreaterThanOrEqual(3600);
    const again = await request(node.app).post('/admin/test/clock').set(ADMIN).send({ advance: 90 }).expect(200);
    expect(again.body.offset_seconds).toBe(3690);
    expect(new Date(again.body.now_iso).getTime() / 1000).toBe(again.body.now);
    const reset = await request(node.app).delete('/admin/test/clock').set(ADMIN).expect(200);
    expect(reset.body.offset_seconds).toBe(0);
    expect(Math.abs(node.ctx.clock() - node.base.clock())).toBeLessThanOrEqual(1);
  });

  it('MUST NOT move the clock backward and MUST refuse malformed advances with invalid_request', async () => {
    for (const advance of [-60, 0, 'PT0S', '-PT1H', 'one hour', 1.5, 'P9999999D']) {
      const response = await request(node.app).post('/admin/test/clock').set(ADMIN).send({ advance }).expect(400);
      expect(response.body.error).toBe('invalid_request');
    }
    await request(node.app).post('/admin/test/clock').set(ADMIN).send({}).expect(400);
    await request(node.app).post('/admin/test/clock').set(ADMIN).type('form').send('advance=60').expect(400);
    expect((await request(node.app).get('/admin/test/clock').set(ADMIN).expect(200)).body.offset_seconds).toBe(0);
  });

  it('MUST list, add and clear forced failures, refusing unknown clients, kinds and unbounded delays', async () => {
    const client = await registerClient(node.ctx);
    const added = await request(node.app).post('/admin/test/failures').set(ADMIN).send({ client_id: client.clientId, failure: 'temporarily_unavailable', count: 2 }).expect(201);
    expect(added.body).toMatchObject({ client_id: client.clientId, endpoint: 'token', failure: 'temporarily_unavailable', remaining: 2 });
    await request(node.app).post('/admin/test/failures').set(ADMIN).send({ client_id: client.clientId, failure: 'delay', delay_ms: 10 }).expect(201);
    const listed = await request(node.app).get('/admin/test/failures').set(ADMIN).expect(200);
    expect(listed.body.failures.map((f: { failure: string }) => f.failure)).toEqual(['temporarily_unavailable', 'delay']);
    const refusals = [
      { client_id: 'no-such-client', failure: 'invalid_grant' },
      { client_id: client.clientId, failure: 'explode' },
      { client_id: client.clientId, failure: 'delay' },
      { client_id: client.clientId, failure: 'delay', delay_ms: 30_001 },
      { client_id: client.clientId, failure: 'invalid_grant', delay_ms: 5 },
      { client_id: client.clientId, failure: 'invalid_grant', count: 0 },
      { client_id: client.clientId, failure: 'invalid_grant', endpoint: 'nowhere' },
    ];
    for (const body of refusals) expect((await request(node.app).post('/admin/test/failures').set(ADMIN).send(body).expect(400)).body.error).toBe('invalid_request');
    expect((await request(node.app).delete('/admin/test/failures').set(ADMIN).expect(200)).body.cleared).toBe(2);
    expect((await request(node.app).get('/admin/test/status').set(ADMIN).expect(200)).body).toMatchObject({ test_control: true, failures: [] });
  });

  it('MUST rotate the signing keys now: the active key changes and the old one stays published', async () => {
    const before = (await request(node.app).get('/jwks').expect(200)).body.keys.map((key: { kid: string }) => key.kid);
    const rotated = await request(node.app).post('/admin/test/keys/rotate').set(ADMIN).expect(200);
    const kids = rotated.body.active.map((key: { kid: string }) => key.kid);
    expect(kids.length).toBeGreaterThan(0);
    const after = (await request(node.app).get('/jwks').expect(200)).body.keys.map((key: { kid: string }) => key.kid);
    for (const kid of before) expect(after).toContain(kid);
    expect(kids.every((kid: string) => after.includes(kid))).toBe(true);
    const token = await node.ctx.keystore.sign({ sub: 'x' });
    expect(kids).toContain(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid);
  });
});
