/**
 * GET/POST /device: code entry, RFC 8628 §3.3, §3.3.1 and §5.1.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfOf, pathOf } from '../support/browser-flow.js';
import { backendName } from '../support/test-context.js';
import { browserOf, decide, deviceRig, enterCode, startDevice, type DeviceRig } from './device-fixtures.js';

describe(`RFC 8628 §3.3 code entry page (${backendName})`, () => {
  let rig: DeviceRig;
  beforeAll(async () => {
    rig = await deviceRig();
  });
  afterAll(() => rig.ctx.close());

  it('GET /device shows a form for the code, no-store, without script', async () => {
    const page = await request(rig.app).get('/device').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('name="user_code"');
    expect(page.text).not.toMatch(/<script/i);
  });

  it('MUST still ask the user to confirm a code from verification_uri_complete (§3.3.1): pre-filled, nothing decided', async () => {
    const started = await startDevice(rig);
    const interactions = async () => Number((await rig.ctx.knex('interactions').count({ n: '*' }).first())!.n);
    const before = await interactions();
    const page = await request(rig.app).get(pathOf(started.verification_uri_complete)).expect(200);
    expect(page.text).toContain(`value="${started.user_code}"`);
    expect(page.text).toContain('id="device-submit"');
    expect(await interactions()).toBe(before);
    expect((await rig.ctx.stores.deviceAuthorizations.findByUserCode((await rig.ctx.stores.deviceAuthorizations.find((await import('../../src/tokens/handles.js')).hashHandle(started.device_code)))!.userCodeHash))!.status).toBe('pending');
  });

  it('accepts the code in any case, with or without the dash, and sends a browser without session to the login page', async () => {
    const started = await startDevice(rig);
    const response = await enterCode(browserOf(rig), started.user_code.replace('-', ' ').toLowerCase());
    expect(response.status).toBe(303);
    expect(response.headers.location).toMatch(/\/interaction\/[A-Za-z0-9_-]{43}\/login$/);
  });

  it('sends a signed-in browser straight to the device consent step', async () => {
    const agent = browserOf(rig);
    await decide(rig, agent, (await startDevice(rig)).user_code, 'approve');
    const response = await enterCode(agent, (await startDevice(rig)).user_code);
    expect(response.status).toBe(303);
    expect(response.headers.location).toMatch(/\/interaction\/[A-Za-z0-9_-]{43}\/device$/);
  });

  it('answers an unknown, expired or already decided code with the form again and one message, audited with the address and a prefix only', async () => {
    const used = await startDevice(rig);
    await decide(rig, browserOf(rig), used.user_code, 'deny');
    const expired = await startDevice(rig);
    rig.ctx.clock.advance(expired.expires_in);
    for (const code of ['BCDF-GHJK', used.user_code, expired.user_code, 'not a code']) {
      const response = await enterCode(browserOf(rig), code);
      expect(response.status).toBe(400);
      expect(response.text).toContain('id="device-error"');
      expect(response.text).toContain('name="user_code"');
    }
    const events = await rig.ctx.stores.audit.list({ type: 'device.user_code_rejected', limit: 10 });
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(events[0].ip).toBeTruthy();
    expect(JSON.stringify(events)).not.toContain(expired.user_code);
    expect(JSON.stringify(events)).not.toContain(expired.user_code.replace('-', ''));
  });

  it('MUST refuse a POST without the form token of this browser (CSRF) with 403', async () => {
    const started = await startDevice(rig);
    const victim = browserOf(rig);
    const attackerPage = await request(rig.app).get('/device').expect(200);
    // The attacker's token is bound to the attacker's cookie, not the victim's.
    await victim.get('/device').expect(200);
    const forged = await victim.post('/device').type('form').send({ csrf: csrfOf(attackerPage.text), user_code: started.user_code });
    expect(forged.status).toBe(403);
    const missing = await request(rig.app).post('/device').type('form').send({ user_code: started.user_code });
    expect(missing.status).toBe(403);
  });

  it('shows the done page for either outcome', async () => {
    expect((await request(rig.app).get('/device/done?outcome=approved').expect(200)).text).toContain('data-outcome="approved"');
    expect((await request(rig.app).get('/device/done?outcome=denied').expect(200)).text).toContain('data-outcome="denied"');
  });
});
