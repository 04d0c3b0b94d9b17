/**
 * Emergency mode switched on one node (as the CLI does) and applied by a running node within
 * STATE_REFRESH_SECONDS: registration closed, rate limits halved, a second factor required to sign
 * in (a password alone is refused exactly like a wrong one; password-only sessions sign in again).
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V6.3, V6.4)
 */
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { loadConfig } from '../../src/config/config.js';
import { EMERGENCY_LOGIN_MESSAGE, EMERGENCY_REGISTRATION_MESSAGE, emergencyState, setEmergencyMode } from '../../src/security/emergency-mode.js';
import { STATE_REFRESH_SECONDS } from '../../src/security/ip-blocklist.js';
import { RateLimits } from '../../src/security/rate-limits.js';
import { createApp } from '../../src/server/app.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { LOGIN_FAILED_MESSAGE } from '../../src/ui/login-page.js';
import { enrollUser, nextCode } from '../mfa/mfa-fixtures.js';
import { authorizeUrl, csrfOf, defaultParams, pathOf, registerClient, registerUser, submitLogin, type Agent } from '../support/browser-flow.js';
import { backendName } from '../support/test-context.js';
import { basic, postToken, SECRET } from '../support/token-fixtures.js';
import { sharedDatabase, type Node, type SharedDatabase } from './shared-database.js';

describe(`emergency mode reaches running nodes (${backendName})`, () => {
  let shared: SharedDatabase;
  let running: Node;
  let operator: Node;
  let app: Express;
  let client: ClientRecord;

  beforeAll(async () => {
    shared = await sharedDatabase(2, { trustedProxies: ['127.0.0.1', '::1'], rateLimitToken: { points: 4, duration: 60 }, rateLimitRegistration: { points: 100, duration: 3600 } });
    [running, operator] = shared.nodes;
    app = createApp(running);
    client = await registerClient(running);
    await createClient(running, { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'] });
  });
  afterAll(() => shared.close());

  /** Switches the mode on the operator's node and lets the running node's cache age past its refresh. */
  async function emergency(on: boolean) {
    await setEmergencyMode(operator, on, on ? 'credential stuffing' : null);
    running.clock.advance(STATE_REFRESH_SECONDS);
  }
  afterEach(() => emergency(false));

  const register = () => request(app).post('/register').send({ redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'none' });

  it(`MUST close registration within ${STATE_REFRESH_SECONDS} seconds, and reopen it after off`, async () => {
    await register().expect(201);
    await emergency(true);
    const closed = await register();
    expect(closed.status).toBe(403);
    expect(closed.body).toEqual({ error: 'access_denied', error_description: EMERGENCY_REGISTRATION_MESSAGE, error_uri: expect.stringMatching(/\/errors\/access_denied\/RFC7591-3-2$/) });
    await emergency(false);
    await register().expect(201);
  });

  it('MUST halve every rate limit while on', async () => {
    const tokens = (ip: string) => postToken(app, { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), 'x-forwarded-for': ip });
    const normal = await tokens('198.51.100.1');
    expect(normal.headers['x-ratelimit-limit']).toBe('4');
    await emergency(true);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await tokens('198.51.100.2')).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await tokens('198.51.100.3')).headers['x-ratelimit-limit']).toBe('2');
    await emergency(false);
    expect((await tokens('198.51.100.4')).headers['x-ratelimit-limit']).toBe('4');
  });

  /** Opens an authorization request and returns the login page's path. */
  async function loginPath(agent: Agent): Promise<string> {
    const start = await agent.get(authorizeUrl(defaultParams(client))).expect(303);
    return pathOf(start.headers.location as string);
  }

  it('MUST refuse a correct password without a second factor exactly like a wrong password, and audit it', async () => {
    const { user, password } = await registerUser(running);
    await emergency(true);
    const agent = request.agent(app);
    const wrong = await submitLogin(agent, await loginPath(agent), user.username, 'not the password at all');
    const right = await submitLogin(agent, await loginPath(agent), user.username, password);
    expect([wrong.status, right.status]).toEqual([401, 401]);
    expect(right.text).toContain(EMERGENCY_LOGIN_MESSAGE);
    expect(wrong.text).toContain(EMERGENCY_LOGIN_MESSAGE);
    expect(right.headers['set-cookie'] ?? []).not.toContainEqual(expect.stringMatching(/^castellan_session=[^;]/));
    expect(await running.stores.audit.list({ type: 'login.refused_emergency', userId: user.id })).toHaveLength(1);
    await emergency(false);
    const after = await submitLogin(agent, await loginPath(agent), user.username, password);
    expect(after.status).toBe(303);
    expect(after.text).not.toContain(LOGIN_FAILED_MESSAGE);
  });

  it('MUST let a user with MFA sign in with the second factor', async () => {
    const { user, password } = await registerUser(running);
    const { secret } = await enrollUser(running, user);
    await emergency(true);
    const agent = request.agent(app);
    const login = await submitLogin(agent, await loginPath(agent), user.username, password);
    expect(login.status).toBe(303);
    const mfaPath = pathOf(login.headers.location as string);
    expect(mfaPath).toMatch(/\/mfa$/);
    const page = await agent.get(mfaPath).expect(200);
    const passed = await agent.post(mfaPath).type('form').send({ csrf: csrfOf(page.text), otp: await nextCode(running, secret) });
    expect(passed.status).toBe(303);
    expect(pathOf(passed.headers.location as string)).toMatch(/\/consent$/);
  });

  it('MUST make a session opened with a password alone sign in again while on', async () => {
    const { user, password } = await registerUser(running);
    const agent = request.agent(app);
    expect((await submitLogin(agent, await loginPath(agent), user.username, password)).status).toBe(303);
    await agent.get('/account/consents').expect(200);
    await emergency(true);
    await agent.get('/account/consents').expect(401);
    const silent = await agent.get(authorizeUrl(defaultParams(client, { prompt: 'none' }))).expect(303);
    expect(new URL(silent.headers.location as string).searchParams.get('error')).toBe('login_required');
    await emergency(false);
    await agent.get('/account/consents').expect(200);
  });

  it('MUST keep the state in the database, audited, with the time it began', async () => {
    await emergency(true);
    const first = await emergencyState(operator);
    expect(first).toMatchObject({ active: true, reason: 'credential stuffing' });
    running.clock.advance(100);
    expect(await setEmergencyMode(operator, true, 'still')).toMatchObject({ active: true, since: first.since });
    expect((await emergencyState(operator)).since).toBe(first.since);
    const events = await operator.stores.audit.list({ types: ['incident.emergency_*'], limit: 3 });
    expect(events.map((e) => e.type)).toEqual(['incident.emergency_on', 'incident.emergency_on', 'incident.emergency_off']);
    expect(events[1].details).toMatchObject({ reason: 'credential stuffing', was_active: false });
  });
});

describe('RateLimits.setFactor', () => {
  it('MUST accept a factor in (0, 1] and scale every limit, at least 1', async () => {
    const limits = await RateLimits.create(loadConfig({}, { rateLimitRegistration: { points: 1, duration: 3600 } }));
    limits.setFactor(0.5);
    expect([limits.limitOf('token'), limits.limitOf('registration')]).toEqual([30, 1]);
    expect(() => limits.setFactor(0)).toThrow();
    expect(() => limits.setFactor(2)).toThrow();
    limits.setFactor(1);
    expect(limits.limitOf('token')).toBe(60);
    await limits.close();
  });
});
