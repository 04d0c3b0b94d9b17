import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import {
  authorizeThroughPages, authorizeUrl, browser, csrfOf, defaultParams, pathOf, REDIRECT_URI, registerClient, registerUser, submitLogin,
  type Agent,
} from '../support/browser-flow.js';

describe(`login and consent pages (${backendName})`, () => {
  let ctx: TestContext;
  let client: ClientRecord;
  let user: UserRecord;
  let password: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    client = await registerClient(ctx, { client_name: 'Photo <Printer>' });
    ({ user, password } = await registerUser(ctx, { name: 'Alice Example' }));
  });
  afterAll(() => ctx.close());

  /** Starts a flow and returns the agent and the login page's path. */
  async function start(overrides: Record<string, string | undefined> = {}): Promise<{ agent: Agent; loginPath: string }> {
    const agent = browser(ctx);
    const res = await agent.get(authorizeUrl(defaultParams(client, overrides))).expect(303);
    return { agent, loginPath: pathOf(res.headers.location) };
  }

  describe('OIDC Core §3.1.2.3 authentication of the end-user', () => {
    it('MUST run the whole flow: login, consent, redirect with code, state and iss', async () => {
      const { agent, loginPath } = await start();
      const loginPage = await agent.get(loginPath).expect(200);
      expect(loginPage.text).toContain('Photo &lt;Printer&gt;');
      const login = await agent.post(loginPath).type('form').send({ csrf: csrfOf(loginPage.text), username: user.username, password }).expect(303);
      const sessionCookie = (login.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('castellan_session='))!;
      expect(sessionCookie).toMatch(/HttpOnly/);
      expect(sessionCookie).toMatch(/SameSite=Lax/);
      expect(sessionCookie).toMatch(/Path=\//);
      const consentPath = pathOf(login.headers.location);
      expect(consentPath).toMatch(/\/consent$/);
      const consentPage = await agent.get(consentPath).expect(200);
      expect(consentPage.text).toContain('data-scope="profile"');
      const approve = await agent.post(consentPath).type('form').send({ csrf: csrfOf(consentPage.text), decision: 'approve' }).expect(303);
      const url = new URL(approve.headers.location);
      expect(url.origin + url.pathname).toBe(REDIRECT_URI);
      expect(url.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(url.searchParams.get('state')).toBe('af0ifjsldkj');
      expect(url.searchParams.get('iss')).toBe(ctx.config.issuer);
      const code = (await ctx.stores.codes.findWithGrant(hashHandle(url.searchParams.get('code')!)))?.token;
      expect(code).toMatchObject({ clientId: client.clientId, redirectUri: REDIRECT_URI, scope: 'openid profile', nonce: 'n-0S6_WzA2Mj', codeChallengeMethod: 'S256' });
    });

    it('MUST prefill the username from login_hint', async () => {
      const { agent, loginPath } = await start({ login_hint: 'bob@example.com' });
      const page = await agent.get(loginPath).expect(200);
      expect(page.text).toContain('name="username" value="bob@example.com"');
    });

    it('MUST give the same generic error for a wrong password and an unknown user', async () => {
      const { agent, loginPath } = await start();
      const wrong = await submitLogin(agent, loginPath, user.username, 'not the password');
      const unknown = await submitLogin(agent, loginPath, 'nobody-at-all', 'not the password');
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      const message = (text: string) => /id="login-error"[^>]*>([^<]*)</.exec(text)?.[1];
      expect(message(wrong.text)).toBe('The username or password is incorrect.');
      expect(message(unknown.text)).toBe(message(wrong.text));
      expect(wrong.headers['set-cookie']).toBeUndefined();
    });

    it('MUST issue a new session id at every login (no fixation)', async () => {
      const agent = browser(ctx);
      await authorizeThroughPages(agent, defaultParams(client), user.username, password);
      const res = await agent.get(authorizeUrl(defaultParams(client, { prompt: 'login' }))).expect(303);
      const page = await agent.get(pathOf(res.headers.location)).expect(200);
      const planted = 'A'.repeat(43);
      const login = await agent
        .post(pathOf(res.headers.location))
        .set('Cookie', `castellan_session=${planted}`)
        .type('form')
        .send({ csrf: csrfOf(page.text), username: user.username, password });
      const cookie = (login.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('castellan_session='))!;
      expect(cookie).not.toContain(planted);
      expect(await ctx.stores.sessions.find(hashHandle(planted))).toBeUndefined();
    });
  });

  describe('RFC 6749 §10.12 CSRF and interaction binding', () => {
    it('MUST reject a POST with a wrong or missing csrf token', async () => {
      const { agent, loginPath } = await start();
      await agent.get(loginPath).expect(200);
      const wrong = await agent.post(loginPath).type('form').send({ csrf: 'x'.repeat(43), username: user.username, password });
      expect(wrong.status).toBe(403);
      expect(wrong.headers.location).toBeUndefined();
      const missing = await agent.post(loginPath).type('form').send({ username: user.username, password });
      expect(missing.status).toBe(403);
    });

    it('MUST reject an interaction opened in another browser (no binding cookie)', async () => {
      const { loginPath } = await start();
      const stranger = browser(ctx);
      const res = await stranger.get(loginPath);
      expect(res.status).toBe(400);
      expect(res.text).toContain('another browser');
    });

    it('MUST reject a uid that does not match the cookie', async () => {
      const { agent } = await start();
      const res = await agent.get(`/interaction/${'B'.repeat(43)}/login`);
      expect(res.status).toBe(400);
    });

    it('MUST complete an interaction only once', async () => {
      const { agent, loginPath } = await start({ prompt: 'consent' });
      const login = await submitLogin(agent, loginPath, user.username, password);
      const consentPath = pathOf(login.headers.location);
      const page = await agent.get(consentPath).expect(200);
      const csrf = csrfOf(page.text);
      await agent.post(consentPath).type('form').send({ csrf, decision: 'approve' }).expect(303);
      // The browser dropped the binding cookie; replay with it set by hand.
      const uid = consentPath.split('/')[2];
      const cookieValue = `${uid}.${csrf}`;
      const replay = await agent.post(consentPath).set('Cookie', `castellan_interaction=${cookieValue}`).type('form').send({ csrf, decision: 'approve' });
      expect(replay.status).toBe(400);
      expect(replay.headers.location).toBeUndefined();
      expect(replay.text).toContain('expired or was already completed');
    });

    it('MUST show an error page for an expired interaction', async () => {
      const { agent, loginPath } = await start();
      ctx.clock.advance(ctx.config.interactionTtl + 1);
      const res = await agent.get(loginPath);
      expect(res.status).toBe(400);
      expect(res.text).toContain('expired');
    });

    it('MUST send the browser back to login when the consent page has no matching session', async () => {
      const { agent, loginPath } = await start();
      const consentPath = loginPath.replace(/login$/, 'consent');
      const res = await agent.get(consentPath).expect(303);
      expect(pathOf(res.headers.location)).toBe(loginPath);
    });
  });

  describe('OIDC Core §3.1.2.4 consent', () => {
    it('MUST redirect access_denied with state and iss when the user denies', async () => {
      const { agent, loginPath } = await start({ scope: 'openid email' });
      const login = await submitLogin(agent, loginPath, user.username, password);
      const consentPath = pathOf(login.headers.location);
      const page = await agent.get(consentPath).expect(200);
      const res = await agent.post(consentPath).type('form').send({ csrf: csrfOf(page.text), decision: 'deny' }).expect(303);
      const url = new URL(res.headers.location);
      expect(url.origin + url.pathname).toBe(REDIRECT_URI);
      expect(url.searchParams.get('error')).toBe('access_denied');
      expect(url.searchParams.get('state')).toBe('af0ifjsldkj');
      expect(url.searchParams.get('iss')).toBe(ctx.config.issuer);
      const consent = await ctx.stores.consents.find(user.id, client.clientId);
      expect(consent?.scope ?? '').not.toContain('email');
    });

    it('MUST skip the consent page after login when consent is remembered', async () => {
      const agent = browser(ctx);
      await authorizeThroughPages(agent, defaultParams(client, { scope: 'openid' }), user.username, password);
      const res = await agent.get(authorizeUrl(defaultParams(client, { scope: 'openid', prompt: 'login' }))).expect(303);
      const login = await submitLogin(agent, pathOf(res.headers.location), user.username, password);
      expect(login.status).toBe(303);
      expect(new URL(login.headers.location).searchParams.get('code')).toBeTruthy();
    });

    it('MUST keep offline_access in the granted scope after the consent page', async () => {
      const agent = browser(ctx);
      const url = await authorizeThroughPages(agent, defaultParams(client, { scope: 'openid offline_access' }), user.username, password);
      const code = (await ctx.stores.codes.findWithGrant(hashHandle(url.searchParams.get('code')!)))?.token;
      expect(code?.scope).toBe('openid offline_access');
    });

    it('MUST reject an unknown decision', async () => {
      const { agent, loginPath } = await start({ prompt: 'consent' });
      const login = await submitLogin(agent, loginPath, user.username, password);
      const consentPath = pathOf(login.headers.location);
      const page = await agent.get(consentPath).expect(200);
      const res = await agent.post(consentPath).type('form').send({ csrf: csrfOf(page.text), decision: 'maybe' });
      expect(res.status).toBe(400);
    });
  });

  it('MUST answer an unknown interaction path with an HTML error page', async () => {
    const res = await browser(ctx).get('/interaction/not-a-uid/login');
    expect(res.status).toBe(400);
    expect(res.type).toBe('text/html');
  });
});
