/**
 * Attacks on the device flow, black-box over HTTP against a running Castellan.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-5.1 (user code brute forcing)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-5.2 (device code brute forcing; another client's code)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-5.4 (remote phishing)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.5 (slow_down)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/clients/client-metadata.js';
import { createClient } from '../../src/clients/client-service.js';
import { attackRig, type AttackRig } from './attack-rig.js';

describe('attacks on the device flow', () => {
  let rig: AttackRig;
  beforeAll(async () => {
    rig = await attackRig({ rateLimitDeviceVerification: { points: 5, duration: 60 } });
    for (const clientId of ['tv', 'evil-tv']) await createClient(rig.ctx, { client_id: clientId, token_endpoint_auth_method: 'none', grant_types: [DEVICE_CODE_GRANT_TYPE] });
  });
  afterAll(() => rig.close());

  const start = async (clientId = 'tv') => (await (await rig.post('/device_authorization', { client_id: clientId, scope: 'openid' })).json()) as { device_code: string; user_code: string; interval: number };
  const poll = (deviceCode: string, clientId = 'tv') => rig.post('/token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: clientId });

  /** A fresh form token and its cookie, as a script that first GETs the page would hold. */
  async function entryForm(): Promise<{ csrf: string; cookie: string }> {
    const page = await fetch(`${rig.issuer}/device`);
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    return { csrf: /name="csrf" value="([^"]+)"/.exec(await page.text())![1], cookie };
  }

  it('§5.1: guessing user codes from one address hits the rate limit (429, Retry-After) and every failed guess is audited with the address', async () => {
    const live = await start();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i += 1) {
      const { csrf, cookie } = await entryForm();
      const guess = `BCDF-${'GHJKLMNP'.slice(i % 4, (i % 4) + 4)}`;
      const response = await rig.post('/device', { csrf, user_code: guess }, { cookie });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses.slice(0, 5).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const rejected = await rig.ctx.stores.audit.list({ type: 'device.user_code_rejected', limit: 50 });
    expect(rejected.length).toBeGreaterThanOrEqual(5);
    expect(rejected.every((event) => event.ip)).toBe(true);
    const limited = await rig.ctx.stores.audit.list({ type: 'rate_limit.exceeded', limit: 10 });
    expect(limited.some((event) => (event.details as { policy?: string }).policy === 'device_verification')).toBe(true);
    // Even the right code is refused while the address is limited: the limit does not tell right from wrong.
    const { csrf, cookie } = await entryForm();
    expect((await rig.post('/device', { csrf, user_code: live.user_code }, { cookie })).status).toBe(429);
  });

  it('§5.2: a device_code polled by another client is invalid_grant, like an unknown one, and the owner is unaffected', async () => {
    const victim = await start();
    const stolen = await poll(victim.device_code, 'evil-tv');
    const unknown = await poll('A'.repeat(43), 'evil-tv');
    expect(stolen.status).toBe(400);
    expect(await stolen.json()).toEqual(await unknown.json());
    // No poll was recorded for the owner: its first poll is on time.
    expect(((await (await poll(victim.device_code)).json()) as { error: string }).error).toBe('authorization_pending');
  });

  it('§3.5: polling faster than the interval gets slow_down and the interval grows for every later poll', async () => {
    const device = await start();
    expect(((await (await poll(device.device_code)).json()) as { error: string }).error).toBe('authorization_pending');
    const errors: string[] = [];
    for (let i = 0; i < 3; i += 1) errors.push(((await (await poll(device.device_code)).json()) as { error: string }).error);
    expect(errors).toEqual(['slow_down', 'slow_down', 'slow_down']);
    const row = await rig.ctx.knex('device_authorizations').where({ client_id: 'tv' }).orderBy('created_at', 'desc').select('poll_interval');
    expect(row.map((r: { poll_interval: number }) => Number(r.poll_interval))).toContain(device.interval + 15);
  });

  it('§5.4: a code followed from a phishing link is never approved without the warning page and the user\'s click', async () => {
    const device = await start();
    const page = await fetch(`${rig.issuer}/device?user_code=${device.user_code}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="device-submit"');
    expect(((await (await poll(device.device_code)).json()) as { error: string }).error).toBe('authorization_pending');
  });
});
