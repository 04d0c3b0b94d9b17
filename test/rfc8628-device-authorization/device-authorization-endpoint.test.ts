/**
 * POST /device_authorization, RFC 8628 §3.1, §3.2 and §4.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/clients/client-metadata.js';
import { hashUserCode, normaliseUserCode } from '../../src/rfc8628-device-authorization/user-code.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { backendName } from '../support/test-context.js';
import { DEVICE_CLIENT, deviceRig, startDevice, type DeviceRig } from './device-fixtures.js';

const SECRET = 'a-device-client-secret-of-at-least-32-chars';

describe(`RFC 8628 device authorization endpoint (${backendName})`, () => {
  let rig: DeviceRig;
  beforeAll(async () => {
    rig = await deviceRig();
    await createClient(rig.ctx, { client_id: 'confidential-tv', client_secret: SECRET, grant_types: [DEVICE_CODE_GRANT_TYPE] });
    await createClient(rig.ctx, { client_id: 'web-only', token_endpoint_auth_method: 'none', redirect_uris: ['https://rp.example/cb'] });
  });
  afterAll(() => rig.ctx.close());

  const post = (form: Record<string, string>, headers: Record<string, string> = {}) => request(rig.app).post('/device_authorization').set(headers).type('form').send(form);

  describe('§3.2 device authorization response', () => {
    it('MUST return device_code, user_code, verification_uri, expires_in; and verification_uri_complete and interval, with no-store', async () => {
      const response = await post({ client_id: DEVICE_CLIENT, scope: 'openid profile' });
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.body;
      expect(body.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      expect(body.verification_uri).toBe('http://localhost:3000/device');
      expect(body.verification_uri_complete).toBe(`http://localhost:3000/device?user_code=${body.user_code}`);
      expect(body).toMatchObject({ expires_in: 600, interval: 5 });
    });

    it('stores only the SHA-256 of the device_code, with the granted scope and the configured lifetime', async () => {
      const body = await startDevice(rig, { scope: 'openid unknown-scope' });
      const row = await rig.ctx.stores.deviceAuthorizations.find(hashHandle(body.device_code));
      expect(row).toMatchObject({ clientId: DEVICE_CLIENT, scope: 'openid', status: 'pending', pollInterval: 5, expiresAt: rig.ctx.clock() + 600 });
      expect(row!.userCodeHash).toBe(hashUserCode(normaliseUserCode(body.user_code)!));
      expect(JSON.stringify(await rig.ctx.knex('device_authorizations').select())).not.toContain(body.device_code);
    });

    it('follows DEVICE_CODE_TTL and DEVICE_POLL_INTERVAL', async () => {
      const other = await deviceRig({ deviceCodeTtl: 900, devicePollInterval: 8 });
      try {
        expect(await startDevice(other)).toMatchObject({ expires_in: 900, interval: 8 });
      } finally {
        await other.ctx.close();
      }
    });

    it('is advertised as device_authorization_endpoint in the metadata (§4)', async () => {
      const metadata = await request(rig.app).get('/.well-known/openid-configuration').expect(200);
      expect(metadata.body.device_authorization_endpoint).toBe('http://localhost:3000/device_authorization');
      expect(metadata.body.grant_types_supported).toContain(DEVICE_CODE_GRANT_TYPE);
    });
  });

  describe('§3.1 device authorization request', () => {
    it('MUST authenticate confidential clients as at the token endpoint', async () => {
      const basic = `Basic ${Buffer.from(`confidential-tv:${SECRET}`).toString('base64')}`;
      expect((await post({ scope: 'openid' }, { authorization: basic })).status).toBe(200);
      const wrong = await post({ scope: 'openid' }, { authorization: `Basic ${Buffer.from('confidential-tv:wrong-secret-wrong-secret-wrong-secret').toString('base64')}` });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_client');
      expect((await post({ client_id: 'confidential-tv', scope: 'openid' })).body.error).toBe('invalid_client');
    });

    it('MUST refuse a client not registered for the device_code grant with unauthorized_client', async () => {
      const response = await post({ client_id: 'web-only', scope: 'openid' });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('unauthorized_client');
    });

    it('applies the scope policy: nothing grantable is invalid_scope', async () => {
      const response = await post({ client_id: DEVICE_CLIENT, scope: 'nothing-known' });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_scope');
    });

    it('MUST refuse a repeated or malformed parameter with invalid_request, and other methods with 405', async () => {
      const repeated = await request(rig.app).post('/device_authorization').type('form').send('client_id=tv-app&scope=openid&scope=profile');
      expect(repeated.status).toBe(400);
      expect(repeated.body.error).toBe('invalid_request');
      const get = await request(rig.app).get('/device_authorization');
      expect(get.status).toBe(405);
      expect(get.headers.allow).toBe('POST');
    });
  });
});
