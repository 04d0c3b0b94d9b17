/**
 * A device client, a user and the two halves of the device flow driven over HTTP with supertest:
 * the device's requests (device authorization, token polls) and a browser's pages (code entry,
 * login, device consent).
 */
import request from 'supertest';
import { expect } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/clients/client-metadata.js';
import { createClient } from '../../src/clients/client-service.js';
import type { Config } from '../../src/config/config.js';
import { createApp } from '../../src/server/app.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { csrfOf, pathOf, registerUser, type Agent } from '../support/browser-flow.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

export const DEVICE_CLIENT = 'tv-app';
export const OTHER_DEVICE_CLIENT = 'other-tv';

export interface DeviceRig {
  ctx: TestContext;
  app: ReturnType<typeof createApp>;
  user: UserRecord;
  password: string;
}

export async function deviceRig(overrides: Partial<Config> = {}): Promise<DeviceRig> {
  const ctx = await createTestContext({ rateLimitToken: { points: 10_000, duration: 60 }, ...overrides });
  for (const clientId of [DEVICE_CLIENT, OTHER_DEVICE_CLIENT]) {
    await createClient(ctx, { client_id: clientId, client_name: 'Living Room TV', token_endpoint_auth_method: 'none', grant_types: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'] });
  }
  const { user, password } = await registerUser(ctx);
  return { ctx, app: createApp(ctx), user, password };
}

export interface DeviceStart {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

export async function startDevice(rig: DeviceRig, form: Record<string, string> = {}): Promise<DeviceStart> {
  const response = await request(rig.app).post('/device_authorization').type('form').send({ client_id: DEVICE_CLIENT, scope: 'openid profile offline_access', ...form });
  expect(response.status, response.text).toBe(200);
  return response.body as DeviceStart;
}

export function poll(rig: DeviceRig, deviceCode: string, clientId = DEVICE_CLIENT) {
  return request(rig.app).post('/token').type('form').send({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: clientId });
}

/** GET /device, then POST the code with the page's form token; the POST's response. */
export async function enterCode(agent: Agent, userCode: string) {
  const page = await agent.get('/device').expect(200);
  return agent.post('/device').type('form').send({ csrf: csrfOf(page.text), user_code: userCode });
}

/** From code entry through login to the device consent page and the decision; returns the final response. */
export async function decide(rig: DeviceRig, agent: Agent, userCode: string, decision: 'approve' | 'deny') {
  const entered = await enterCode(agent, userCode);
  expect(entered.status, entered.text).toBe(303);
  let location = pathOf(entered.headers.location as string);
  if (location.endsWith('/login')) {
    const login = await agent.get(location).expect(200);
    const submitted = await agent.post(location).type('form').send({ csrf: csrfOf(login.text), username: rig.user.username, password: rig.password });
    expect(submitted.status, submitted.text).toBe(303);
    location = pathOf(submitted.headers.location as string);
  }
  expect(location).toMatch(/\/interaction\/[A-Za-z0-9_-]{43}\/device$/);
  const consent = await agent.get(location).expect(200);
  return agent.post(location).type('form').send({ csrf: csrfOf(consent.text), decision });
}

export const browserOf = (rig: DeviceRig): Agent => request.agent(rig.app);
