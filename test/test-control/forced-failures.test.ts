import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { REDIRECT_URI, registerClient, registerUser } from '../support/browser-flow.js';
import { basic, issueCode, postToken } from '../support/token-fixtures.js';
import { ADMIN, testControlNode, type TestControlNode } from './test-control-node.js';

const SERVICE_SECRET = 'forced-failures-service-secret-0123456789abcdef';

describe('Castellan test control API: forced failures at the token endpoint', () => {
  let node: TestControlNode;
  let rp: ClientRecord;
  let user: UserRecord;
  let service: ClientRecord;

  beforeAll(async () => {
    node = await testControlNode();
    rp = await registerClient(node.ctx, { scope: 'openid profile offline_access', grant_types: ['authorization_code', 'refresh_token'] });
    user = (await registerUser(node.ctx)).user;
    service = (await createClient(node.ctx, { client_name: 'Service', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', client_secret: SERVICE_SECRET, scope: 'api' })).record;
  });
  afterAll(async () => node.close());

  const force = (body: Record<string, unknown>) => request(node.app).post('/admin/test/failures').set(ADMIN).send(body).expect(201);

  async function redeem(issued?: Awaited<ReturnType<typeof issueCode>>) {
    const code = issued ?? (await issueCode(node.ctx, { clientId: rp.clientId, userId: user.id, redirectUri: REDIRECT_URI, scope: 'openid profile' }));
    const response = await postToken(node.app, { grant_type: 'authorization_code', code: code.code, redirect_uri: REDIRECT_URI, client_id: rp.clientId, code_verifier: code.verifier });
    return { code, response };
  }

  const serviceToken = () => postToken(node.app, { grant_type: 'client_credentials' }, { Authorization: basic(service.clientId, SERVICE_SECRET) });

  for (const [failure, status] of [['invalid_grant', 400], ['temporarily_unavailable', 503], ['server_error', 500]] as const) {
    it(`MUST answer exactly the next N token requests of the client with an RFC 6749 §5.2 ${failure} error, leaving the code usable`, async () => {
      await force({ client_id: rp.clientId, failure, count: 2 });
      const first = await redeem();
      for (let attempt = 0; attempt < 2; attempt++) {
        const { response } = attempt === 0 ? first : await redeem(first.code);
        expect(response.status).toBe(status);
        expect(response.body.error).toBe(failure);
        expect(typeof response.body.error_description).toBe('string');
        expect(response.headers['cache-control']).toContain('no-store');
        if (failure === 'temporarily_unavailable') expect(response.headers['retry-after']).toBe('1');
      }
      const { response } = await redeem(first.code);
      expect(response.status).toBe(200);
      expect(response.body.access_token).toBeTruthy();
    });
  }

  it('MUST take exactly N under concurrent requests, and only for the client named', async () => {
    await force({ client_id: service.clientId, failure: 'invalid_grant', count: 5 });
    const unaffected = await redeem();
    expect(unaffected.response.status).toBe(200);
    const responses = await Promise.all(Array.from({ length: 12 }, () => serviceToken()));
    expect(responses.filter((r) => r.status === 400 && r.body.error === 'invalid_grant')).toHaveLength(5);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(7);
    expect((await request(node.app).get('/admin/test/failures').set(ADMIN).expect(200)).body.failures).toEqual([]);
  });

  it('MUST answer the next N UserInfo requests of the client with a forced error, and refuse failures UserInfo cannot have', async () => {
    const { response } = await redeem();
    const userinfo = () => request(node.app).get('/userinfo').set('Authorization', `Bearer ${response.body.access_token}`);
    await force({ client_id: rp.clientId, failure: 'temporarily_unavailable', endpoint: 'userinfo' });
    const refused = await userinfo().expect(503);
    expect(refused.body.error).toBe('temporarily_unavailable');
    expect(refused.headers['retry-after']).toBe('1');
    expect((await userinfo().expect(200)).body.sub).toBe(user.id);
    for (const failure of ['invalid_grant', 'id_token_bad_signature']) {
      const bad = await request(node.app).post('/admin/test/failures').set(ADMIN).send({ client_id: rp.clientId, failure, endpoint: 'userinfo' }).expect(400);
      expect(bad.body.error).toBe('invalid_request');
    }
  });

  it('MUST hold a response for delay_ms, then answer it normally', async () => {
    await force({ client_id: service.clientId, failure: 'delay', delay_ms: 400 });
    const started = performance.now();
    const delayed = await serviceToken();
    expect(delayed.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    // Taken once: nothing is left to hold the next response.
    expect((await request(node.app).get('/admin/test/failures').set(ADMIN).expect(200)).body.failures).toEqual([]);
    await serviceToken().expect(200);
  });

  const jwks = async () => createLocalJWKSet((await request(node.app).get('/jwks').expect(200)).body as JSONWebKeySet);
  const validate = async (idToken: string) => {
    const { payload } = await jwtVerify(idToken, await jwks(), { issuer: node.ctx.config.issuer, audience: rp.clientId });
    if (payload.nonce !== 'n-0S6_WzA2Mj') throw new Error('nonce mismatch');
    return payload;
  };

  for (const [failure, complaint] of [
    ['id_token_bad_signature', /signature/], ['id_token_wrong_iss', /iss/], ['id_token_wrong_aud', /aud/], ['id_token_wrong_nonce', /nonce/],
  ] as const) {
    it(`MUST serve an ID token that fails validation (${failure}) once per forced response, and valid ones after`, async () => {
      await force({ client_id: rp.clientId, failure });
      // A response without an ID token does not take an ID token failure.
      await force({ client_id: service.clientId, failure });
      await serviceToken().expect(200);
      expect((await request(node.app).get('/admin/test/failures').set(ADMIN)).body.failures.filter((f: { client_id: string }) => f.client_id === service.clientId)).toHaveLength(1);
      await request(node.app).delete('/admin/test/failures').set(ADMIN).expect(200);
      await force({ client_id: rp.clientId, failure });
      const bad = await redeem();
      expect(bad.response.status).toBe(200);
      await expect(validate(bad.response.body.id_token)).rejects.toThrow(complaint);
      const good = await redeem();
      expect((await validate(good.response.body.id_token)).sub).toBe(user.id);
    });
  }
});
