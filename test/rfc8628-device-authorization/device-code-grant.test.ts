/**
 * The device_code grant at the token endpoint, RFC 8628 §3.4 and §3.5.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLOW_DOWN_PENALTY } from '../../src/rfc8628-device-authorization/device-code-grant.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { backendName } from '../support/test-context.js';
import { browserOf, decide, deviceRig, OTHER_DEVICE_CLIENT, poll, startDevice, type DeviceRig } from './device-fixtures.js';

describe(`RFC 8628 device_code grant (${backendName})`, () => {
  let rig: DeviceRig;
  beforeAll(async () => {
    rig = await deviceRig();
  });
  afterAll(() => rig.ctx.close());

  describe('§3.5 while the user has not decided', () => {
    it('MUST answer authorization_pending (400) while the request is pending', async () => {
      const started = await startDevice(rig);
      const response = await poll(rig, started.device_code);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('authorization_pending');
      expect(response.headers['cache-control']).toBe('no-store');
    });

    it('MUST answer slow_down when polled within the interval, and raise that code\'s interval by 5 seconds', async () => {
      const started = await startDevice(rig);
      expect((await poll(rig, started.device_code)).body.error).toBe('authorization_pending');
      const tooSoon = await poll(rig, started.device_code);
      expect(tooSoon.status).toBe(400);
      expect(tooSoon.body.error).toBe('slow_down');
      const row = await rig.ctx.stores.deviceAuthorizations.find(hashHandle(started.device_code));
      expect(row!.pollInterval).toBe(started.interval + SLOW_DOWN_PENALTY);
      // Waiting the old interval is no longer enough; the new one is.
      rig.ctx.clock.advance(started.interval);
      expect((await poll(rig, started.device_code)).body.error).toBe('slow_down');
      rig.ctx.clock.advance(started.interval + 2 * SLOW_DOWN_PENALTY);
      expect((await poll(rig, started.device_code)).body.error).toBe('authorization_pending');
    });

    it('MUST answer expired_token once the device_code has expired', async () => {
      const started = await startDevice(rig);
      rig.ctx.clock.advance(started.expires_in);
      const response = await poll(rig, started.device_code);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('expired_token');
    });
  });

  describe('§3.5 after the user decided', () => {
    it('MUST answer access_denied (400) after the user denied', async () => {
      const started = await startDevice(rig);
      expect((await decide(rig, browserOf(rig), started.user_code, 'deny')).status).toBe(303);
      const response = await poll(rig, started.device_code);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('access_denied');
    });

    it('issues access, refresh and ID token once approved, with auth_time, acr and amr of the approving session', async () => {
      const started = await startDevice(rig);
      expect((await decide(rig, browserOf(rig), started.user_code, 'approve')).status).toBe(303);
      const response = await poll(rig, started.device_code);
      expect(response.status, response.text).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile offline_access' });
      expect(response.body.refresh_token).toBeTruthy();
      const claims = decodeJwt(response.body.id_token);
      expect(claims).toMatchObject({ sub: rig.user.id, aud: 'tv-app', acr: 'urn:castellan:acr:pwd', amr: ['pwd'] });
      expect(typeof claims.auth_time).toBe('number');
      // No backchannel_logout_uri: the grant keeps the session's sid, the ID token does not carry it.
      expect(claims.sid).toBeUndefined();
      // Everything derived shares the approval's grant.
      const row = await rig.ctx.stores.deviceAuthorizations.find(hashHandle(started.device_code));
      const access = await rig.ctx.stores.accessTokens.find(hashHandle(response.body.access_token));
      expect(access!.grantId).toBe(row!.grantId);
      expect(typeof (await rig.ctx.stores.grants.find(row!.grantId!))!.sid).toBe('string');
    });

    it('issues no refresh token for an openid request without offline_access (the code grant\'s rule)', async () => {
      const started = await startDevice(rig, { scope: 'openid profile' });
      await decide(rig, browserOf(rig), started.user_code, 'approve');
      const response = await poll(rig, started.device_code);
      expect(response.status).toBe(200);
      expect(response.body.refresh_token).toBeUndefined();
      expect(response.body.id_token).toBeTruthy();
    });

    it('MUST issue tokens only once: a second redemption is invalid_grant and revokes what the first issued', async () => {
      const started = await startDevice(rig);
      await decide(rig, browserOf(rig), started.user_code, 'approve');
      const first = await poll(rig, started.device_code);
      expect(first.status).toBe(200);
      const second = await poll(rig, started.device_code);
      expect(second.status).toBe(400);
      expect(second.body.error).toBe('invalid_grant');
      const access = await rig.ctx.stores.accessTokens.find(hashHandle(first.body.access_token));
      expect((await rig.ctx.stores.grants.find(access!.grantId))!.revokedReason).toBe('device_code_replay');
    });
  });

  describe('§5.2 a device_code of another client', () => {
    it('MUST be answered like an unknown one (invalid_grant) and left untouched', async () => {
      const started = await startDevice(rig);
      await decide(rig, browserOf(rig), started.user_code, 'approve');
      const before = await rig.ctx.stores.deviceAuthorizations.find(hashHandle(started.device_code));
      const stolen = await poll(rig, started.device_code, OTHER_DEVICE_CLIENT);
      const unknown = await poll(rig, 'x'.repeat(43), OTHER_DEVICE_CLIENT);
      expect(stolen.status).toBe(400);
      expect(stolen.body).toEqual(unknown.body);
      expect(await rig.ctx.stores.deviceAuthorizations.find(hashHandle(started.device_code))).toEqual(before);
      // The owner still gets its tokens.
      expect((await poll(rig, started.device_code)).status).toBe(200);
    });
  });

  describe('§3.4 request syntax', () => {
    it('MUST reject a request without device_code as invalid_request', async () => {
      const response = await poll(rig, '');
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
    });
  });
});
