/**
 * `castellan emergency on|off|status` against a SQLite file, seen by a running node on the same file
 * within STATE_REFRESH_SECONDS (registration closed, limits halved), and back after off.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_REFRESH_SECONDS } from '../../src/security/ip-blocklist.js';
import { cliRig, type CliRig } from './cli-harness.js';
import { runningNode, type RunningNode } from './running-node.js';

describe('castellan emergency (SQLite file)', () => {
  let rig: CliRig;
  let node: RunningNode;
  beforeAll(async () => {
    rig = cliRig();
    node = await runningNode(rig, { RATE_LIMIT_REGISTRATION: '100/PT1H' });
  });
  afterAll(() => node.close());

  const register = () => request(node.app).post('/register').send({ redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'none' });

  it('switches a running node within seconds, reports the state, and switches it back', async () => {
    await register().expect(201);
    expect(await rig.cli(['emergency', 'status'])).toMatchObject({ code: 0, stdout: 'Emergency mode is off.\n' });
    expect(await rig.cli(['emergency', 'on', '--reason', 'credential stuffing'])).toMatchObject({ code: 0, stdout: `Emergency mode is on: running nodes apply it within ${STATE_REFRESH_SECONDS} seconds.\n` });
    node.ctx.clock.advance(STATE_REFRESH_SECONDS);
    const refused = await register().expect(403);
    expect(refused.body.error).toBe('access_denied');
    expect(refused.headers['x-ratelimit-limit']).toBe('50');
    expect((await rig.cli(['emergency', 'status'])).stdout).toMatch(/^Emergency mode is on since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(credential stuffing\)\.\n$/);
    expect(JSON.parse((await rig.cli(['emergency', 'status', '--json'])).stdout)).toMatchObject({ active: true, reason: 'credential stuffing' });
    expect((await rig.cli(['emergency', 'on'])).stdout).toMatch(/^Emergency mode was already on/);
    expect(await rig.cli(['emergency', 'off'])).toMatchObject({ code: 0, stdout: `Emergency mode is off: running nodes apply it within ${STATE_REFRESH_SECONDS} seconds.\n` });
    node.ctx.clock.advance(STATE_REFRESH_SECONDS);
    expect((await register().expect(201)).headers['x-ratelimit-limit']).toBe('100');
    const events = await rig.withStores((stores) => stores.audit.list({ types: ['incident.emergency_*'] }));
    expect(events.map((e) => e.type)).toEqual(['incident.emergency_off', 'incident.emergency_on', 'incident.emergency_on']);
  });
});
