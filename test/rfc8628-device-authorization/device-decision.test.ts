/**
 * The user's decision on a device authorization, RFC 8628 §3.3: one transaction, a grant carrying
 * the approving session on approval, nothing but the state change on denial.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashHandle } from '../../src/tokens/handles.js';
import { backendName } from '../support/test-context.js';
import { browserOf, decide, deviceRig, startDevice, type DeviceRig } from './device-fixtures.js';

describe(`RFC 8628 §3.3 device decision (${backendName})`, () => {
  let rig: DeviceRig;
  beforeAll(async () => {
    rig = await deviceRig();
  });
  afterAll(() => rig.ctx.close());

  it('approval writes the grant with the session\'s user, auth_time, acr, amr and sid, and links it to the request', async () => {
    const started = await startDevice(rig);
    await decide(rig, browserOf(rig), started.user_code, 'approve');
    const row = await rig.ctx.stores.deviceAuthorizations.find(hashHandle(started.device_code));
    expect(row).toMatchObject({ status: 'approved', userId: rig.user.id });
    const grant = await rig.ctx.stores.grants.find(row!.grantId!);
    expect(grant).toMatchObject({ clientId: 'tv-app', userId: rig.user.id, scope: 'openid profile offline_access', acr: 'urn:castellan:acr:pwd', amr: ['pwd'] });
    expect(grant!.authTime).toBeTypeOf('number');
    expect(grant!.sid).toBeTypeOf('string');
    // No remembered consent: the next device is asked again.
    expect(await rig.ctx.stores.consents.find(rig.user.id, 'tv-app')).toBeUndefined();
  });

  it('denial writes no grant', async () => {
    const started = await startDevice(rig);
    await decide(rig, browserOf(rig), started.user_code, 'deny');
    const row = await rig.ctx.stores.deviceAuthorizations.find(hashHandle(started.device_code));
    expect(row).toMatchObject({ status: 'denied', grantId: null, userId: rig.user.id });
  });
});
