/**
 * Device-flow tokens can be sender-constrained: a device that sends a DPoP proof when it polls gets
 * DPoP-bound tokens through the same token endpoint phase as every other grant (RFC 9449 §5).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/clients/client-metadata.js';
import { dpopKey, dpopProof, type DpopKey } from '../support/dpop-proofs.js';
import { backendName } from '../support/test-context.js';
import { browserOf, decide, DEVICE_CLIENT, deviceRig, startDevice, type DeviceRig } from './device-fixtures.js';

const ISSUER = 'http://localhost:3000';

describe(`RFC 8628 device_code grant with DPoP (${backendName})`, () => {
  let rig: DeviceRig;
  let key: DpopKey;
  beforeAll(async () => {
    rig = await deviceRig();
    key = await dpopKey();
  });
  afterAll(() => rig.ctx.close());

  const approvedDevice = async () => {
    const started = await startDevice(rig);
    expect((await decide(rig, browserOf(rig), started.user_code, 'approve')).status).toBe(303);
    return started;
  };

  it('binds the tokens of a device that polls with a DPoP proof: token_type DPoP, and the access token works only with a proof by that key', async () => {
    const started = await approvedDevice();
    const response = await request(rig.app).post('/token').type('form')
      .set('DPoP', await dpopProof(key, { htu: `${ISSUER}/token` }))
      .send({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: started.device_code, client_id: DEVICE_CLIENT });
    expect(response.status, response.text).toBe(200);
    expect(response.body.token_type).toBe('DPoP');
    const accessToken = response.body.access_token as string;

    const asBearer = await request(rig.app).get('/userinfo').set('Authorization', `Bearer ${accessToken}`);
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers['www-authenticate']).toMatch(/^DPoP /);

    const withProof = await request(rig.app).get('/userinfo').set('Authorization', `DPoP ${accessToken}`)
      .set('DPoP', await dpopProof(key, { htm: 'GET', htu: `${ISSUER}/userinfo`, accessToken }));
    expect(withProof.status, withProof.text).toBe(200);
    expect(withProof.body.sub).toBe(rig.user.id);
  });

  it('binds a public device client\'s refresh token: refreshing without a proof or with another key is refused', async () => {
    const started = await approvedDevice();
    const issued = await request(rig.app).post('/token').type('form')
      .set('DPoP', await dpopProof(key, { htu: `${ISSUER}/token` }))
      .send({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: started.device_code, client_id: DEVICE_CLIENT });
    const refreshToken = issued.body.refresh_token as string;
    expect(refreshToken).toBeTruthy();
    const refresh = (headers: Record<string, string>) => request(rig.app).post('/token').type('form').set(headers)
      .send({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: DEVICE_CLIENT });

    expect((await refresh({})).body.error).toBe('invalid_dpop_proof');
    const stranger = await dpopKey();
    expect((await refresh({ DPoP: await dpopProof(stranger, { htu: `${ISSUER}/token` }) })).body.error).toBe('invalid_grant');
  });

  it('still issues Bearer tokens to a device that sends no proof', async () => {
    const started = await approvedDevice();
    const response = await request(rig.app).post('/token').type('form')
      .send({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: started.device_code, client_id: DEVICE_CLIENT });
    expect(response.status, response.text).toBe(200);
    expect(response.body.token_type).toBe('Bearer');
  });
});
