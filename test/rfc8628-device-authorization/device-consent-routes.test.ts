/**
 * The device consent step, RFC 8628 §3.3 and §5.4, reached through the existing login and MFA pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { enrollUser, nextCode } from '../mfa/mfa-fixtures.js';
import { csrfOf, pathOf } from '../support/browser-flow.js';
import { backendName } from '../support/test-context.js';
import { browserOf, decide, deviceRig, enterCode, poll, startDevice, type DeviceRig } from './device-fixtures.js';

describe(`RFC 8628 §3.3 device consent (${backendName})`, () => {
  let rig: DeviceRig;
  beforeAll(async () => {
    rig = await deviceRig();
  });
  afterAll(() => rig.ctx.close());

  async function consentPage(agent = browserOf(rig)) {
    const started = await startDevice(rig);
    const entered = await enterCode(agent, started.user_code);
    const loginPath = pathOf(entered.headers.location);
    const login = await agent.get(loginPath).expect(200);
    const submitted = await agent.post(loginPath).type('form').send({ csrf: csrfOf(login.text), username: rig.user.username, password: rig.password });
    const path = pathOf(submitted.headers.location);
    return { started, agent, path, page: await agent.get(path).expect(200) };
  }

  it('MUST show the client, the scopes, the user and the code, with the remote-phishing warning (§5.4)', async () => {
    const { page, started } = await consentPage();
    expect(page.text).toContain('id="device-warning"');
    expect(page.text).toMatch(/device you are holding/);
    expect(page.text).toMatch(/choose Deny/);
    expect(page.text).toContain('Living Room TV');
    expect(page.text).toContain(`<span id="username">${rig.user.username}</span>`);
    expect(page.text).toContain(started.user_code);
    expect(page.text).toContain('data-scope="offline_access"');
    expect(page.text).not.toMatch(/<script/i);
  });

  it('is always shown, even after the user approved this client before', async () => {
    const agent = browserOf(rig);
    expect((await decide(rig, agent, (await startDevice(rig)).user_code, 'approve')).status).toBe(303);
    const again = await enterCode(agent, (await startDevice(rig)).user_code);
    const page = await agent.get(pathOf(again.headers.location)).expect(200);
    expect(page.text).toContain('id="approve"');
  });

  it('approve ends in a 303 to the done page and the request becomes approved for this user and session (RFC 9700 §4.12)', async () => {
    const { agent, path, page, started } = await consentPage();
    const response = await agent.post(path).type('form').send({ csrf: csrfOf(page.text), decision: 'approve' });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/device/done?outcome=approved');
    const events = await rig.ctx.stores.audit.list({ type: 'device.approved', limit: 1 });
    expect(events[0]).toMatchObject({ userId: rig.user.id, clientId: 'tv-app' });
    // The interaction is used up: a replayed approval changes nothing.
    const replay = await agent.post(path).type('form').send({ csrf: csrfOf(page.text), decision: 'deny' });
    expect(replay.status).toBe(400);
    expect(started.user_code).toBeTruthy();
  });

  it('deny ends in a 303 and is audited', async () => {
    const { agent, path, page } = await consentPage();
    const response = await agent.post(path).type('form').send({ csrf: csrfOf(page.text), decision: 'deny' });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/device/done?outcome=denied');
    expect((await rig.ctx.stores.audit.list({ type: 'device.denied', limit: 1 }))[0]).toMatchObject({ userId: rig.user.id });
  });

  it('MUST NOT approve a request that expired while the page was open', async () => {
    const { agent, path, page, started } = await consentPage();
    rig.ctx.clock.advance(started.expires_in);
    const response = await agent.post(path).type('form').send({ csrf: csrfOf(page.text), decision: 'approve' });
    expect(response.status).toBe(400);
    expect(response.text).toContain('has expired');
    rig.ctx.clock.advance(-started.expires_in);
  });

  it('refuses a POST without the interaction\'s CSRF token, and a device interaction at the /authorize consent step', async () => {
    const { agent, path, page } = await consentPage();
    expect((await agent.post(path).type('form').send({ csrf: 'x'.repeat(43), decision: 'approve' })).status).toBe(403);
    const authorizeConsent = path.replace(/\/device$/, '/consent');
    expect((await agent.get(authorizeConsent)).status).toBe(400);
    expect((await agent.post(authorizeConsent).type('form').send({ csrf: csrfOf(page.text), decision: 'approve' })).status).toBe(400);
  });

  it('MUST make a user enrolled in MFA pass the second factor; the tokens then carry the MFA acr and amr', async () => {
    const { secret } = await enrollUser(rig.ctx, rig.user);
    try {
      const agent = browserOf(rig);
      const started = await startDevice(rig);
      const entered = await enterCode(agent, started.user_code);
      const loginPath = pathOf(entered.headers.location);
      const login = await agent.get(loginPath).expect(200);
      const submitted = await agent.post(loginPath).type('form').send({ csrf: csrfOf(login.text), username: rig.user.username, password: rig.password });
      const mfaPath = pathOf(submitted.headers.location);
      expect(mfaPath).toMatch(/\/mfa$/);
      // Skipping ahead to the device step without the second factor goes back to the login.
      const skipped = await agent.get(mfaPath.replace(/\/mfa$/, '/device'));
      expect(skipped.status).toBe(303);
      expect(skipped.headers.location).toMatch(/\/login$/);
      const challenge = await agent.get(mfaPath).expect(200);
      const passed = await agent.post(mfaPath).type('form').send({ csrf: csrfOf(challenge.text), otp: await nextCode(rig.ctx, secret) });
      expect(passed.status).toBe(303);
      const consentPath = pathOf(passed.headers.location);
      expect(consentPath).toMatch(/\/device$/);
      const consent = await agent.get(consentPath).expect(200);
      expect((await agent.post(consentPath).type('form').send({ csrf: csrfOf(consent.text), decision: 'approve' })).status).toBe(303);
      const tokens = await poll(rig, started.device_code);
      expect(tokens.status).toBe(200);
      expect(decodeJwt(tokens.body.id_token)).toMatchObject({ acr: 'urn:castellan:acr:mfa', amr: ['pwd', 'otp'] });
    } finally {
      await rig.ctx.stores.mfa.remove(rig.user.id);
    }
  });
});
