/**
 * The audit log: each security event names who asked (the client address behind trusted proxies,
 * the user agent, truncated) and never holds a credential, across a whole flow.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.2.1 who/where/when, V16.2.5 no credentials)
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, USER_AGENT_MAX, withoutCredentials } from '../../src/security/audit.js';
import { authorizeThroughPages, authorizeUrl, browser, csrfOf, defaultParams, pathOf, pkcePair, REDIRECT_URI, registerClient, registerUser } from '../support/browser-flow.js';
import { backendName } from '../support/test-context.js';
import { basic, postToken, SECRET } from '../support/token-fixtures.js';
import { lifecycleRig, type LifecycleRig } from '../support/token-lifecycle-fixtures.js';

const TRUST_LOOPBACK = { trustedProxies: ['127.0.0.1', '::1'] };

describe(`OWASP ASVS 5.0 V16.2 audit events (${backendName})`, () => {
  let rig: LifecycleRig;
  beforeAll(async () => {
    rig = await lifecycleRig(TRUST_LOOPBACK);
  });
  afterAll(() => rig.close());

  const latest = async (type: string) => (await rig.ctx.stores.audit.list({ type, limit: 1 }))[0];

  it('MUST record a token issuance with the client address behind a trusted proxy and the user agent', async () => {
    const response = await postToken(rig.app, { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), 'x-forwarded-for': '198.51.100.23', 'user-agent': 'reports-cron/2.1' });
    expect(response.status).toBe(200);
    expect(await latest('token.issued')).toMatchObject({ clientId: 'svc', ip: '198.51.100.23', userAgent: 'reports-cron/2.1' });
  });

  it('MUST truncate a long user agent to USER_AGENT_MAX characters', async () => {
    await postToken(rig.app, { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), 'user-agent': 'x'.repeat(5_000) });
    expect((await latest('token.issued')).userAgent).toBe('x'.repeat(USER_AGENT_MAX));
  });

  it('MUST record a failed client authentication with the claimed client_id, never the presented secret', async () => {
    const wrong = 'a-wrong-secret-that-must-not-be-logged-0123456789';
    const response = await postToken(rig.app, { grant_type: 'client_credentials' }, { authorization: basic('svc', wrong), 'x-forwarded-for': '203.0.113.77' });
    expect(response.status).toBe(401);
    const event = await latest('client.auth_failed');
    expect(event).toMatchObject({ clientId: 'svc', ip: '203.0.113.77', details: { endpoint: '/token' } });
    expect(JSON.stringify(event)).not.toContain(wrong);
  });

  it('MUST record failed client authentication at introspection and revocation too', async () => {
    await request(rig.app).post('/introspect').type('form').set('authorization', basic('web', 'not the secret of web at all 0123456789')).send('token=abc').expect(401);
    await request(rig.app).post('/revoke').type('form').set('authorization', basic('web', 'not the secret of web at all 0123456789')).send('token=abc').expect(401);
    const events = await rig.ctx.stores.audit.list({ type: 'client.auth_failed', clientId: 'web', limit: 2 });
    expect(events.map((e) => e.details?.endpoint).sort()).toEqual(['/introspect', '/revoke']);
  });

  it('MUST NOT store detail fields that name credentials, at any depth', async () => {
    await audit(rig.ctx, undefined, { type: 'test.details', details: { client_secret: 's1', nested: { refresh_token: 't1', keep: 1 }, token_type: 'refresh_token', code: 'c1' } });
    expect((await latest('test.details')).details).toEqual({ nested: { keep: 1 }, token_type: 'refresh_token' });
    expect(withoutCredentials({ Password: 'p', otp: '123456', note: 'kept' })).toEqual({ note: 'kept' });
  });

  it('MUST keep every token, code, secret and password out of the log across a whole flow, with origins on the browser events', async () => {
    const ctx = rig.ctx;
    const client = await registerClient(ctx, { token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET, grant_types: ['authorization_code', 'refresh_token'] });
    const { user, password } = await registerUser(ctx);
    const agent = browser(ctx).set('x-forwarded-for', '192.0.2.44').set('user-agent', 'AuditBrowser/1.0');
    const before = (await ctx.stores.audit.list({ limit: 1 }))[0]?.id ?? 0;
    // A wrong password first, then the real flow.
    const pkce = pkcePair();
    const params = defaultParams(client, { code_challenge: pkce.challenge, scope: 'openid offline_access' });
    const start = await agent.get(authorizeUrl(params)).expect(303);
    const loginPath = pathOf(start.headers.location as string);
    const csrf = csrfOf((await agent.get(loginPath).expect(200)).text);
    await agent.post(loginPath).type('form').send({ csrf, username: user.username, password: 'my wrong password, logged nowhere' }).expect(401);
    const redirect = await authorizeThroughPages(agent, params, user.username, password);
    const code = redirect.searchParams.get('code')!;
    const tokens = (await postToken(rig.app, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: pkce.verifier }, { authorization: basic(client.clientId, SECRET) }).expect(200)).body;
    const refreshed = (await postToken(rig.app, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { authorization: basic(client.clientId, SECRET) }).expect(200)).body;
    await request(rig.app).post('/revoke').type('form').set('authorization', basic(client.clientId, SECRET)).send(`token=${refreshed.refresh_token}`).expect(200);

    const events = (await ctx.stores.audit.list({ afterId: before, order: 'asc', limit: 1_000 }));
    const logged = JSON.stringify(events);
    for (const secret of [code, pkce.verifier, tokens.access_token, tokens.refresh_token, tokens.id_token, refreshed.access_token, refreshed.refresh_token, SECRET, password, 'my wrong password, logged nowhere', user.passwordHash]) {
      expect(logged).not.toContain(secret);
    }
    const browserEvents = events.filter((e) => ['login.failed', 'login.succeeded', 'session.started'].includes(e.type));
    expect(browserEvents.map((e) => e.type)).toEqual(['login.failed', 'session.started', 'login.succeeded']);
    for (const event of browserEvents) expect(event).toMatchObject({ ip: '192.0.2.44', userAgent: 'AuditBrowser/1.0' });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['authorization.code_issued', 'token.issued', 'token.revoked']));
  });
});
