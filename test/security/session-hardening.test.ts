/**
 * Black-box checks of the browser session: cookie attributes over https (__Host- prefix, Secure,
 * HttpOnly, SameSite=Lax), a new session id at every login (no fixation), idle and absolute
 * lifetimes, and CSRF protection on every form a signed-in or signing-in browser posts.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V7.2 new token at authentication, V7.3 timeouts, V3.3 cookie attributes, V3.5 CSRF)
 * @spec https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-4.1.3.2 (__Host- prefix)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.12 (CSRF protection of the AS's own forms)
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { hashHandle } from '../../src/tokens/handles.js';
import {
  authorizeThroughPages, authorizeUrl, browser, csrfOf, defaultParams, pathOf, registerClient, registerUser, submitLogin,
} from '../support/browser-flow.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { enrollUser } from '../mfa/mfa-fixtures.js';

/** A cookie jar by hand: supertest's agent will not send Secure cookies over the test's plain http. */
class Jar {
  readonly cookies = new Map<string, string>();
  readonly raw: string[] = [];
  take(res: { headers: Record<string, unknown> }): void {
    for (const line of (res.headers['set-cookie'] as string[] | undefined) ?? []) {
      this.raw.push(line);
      const [pair] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      this.cookies.set(name, pair.slice(pair.indexOf('=') + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

describe('OWASP ASVS 5.0 V3.3 session cookie attributes over https', () => {
  let ctx: TestContext;
  let client: ClientRecord;
  let user: UserRecord;
  let password: string;

  beforeAll(async () => {
    ctx = await createTestContext({ issuer: 'https://login.example.test' });
    client = await registerClient(ctx);
    ({ user, password } = await registerUser(ctx));
  });
  afterAll(() => ctx.close());

  it('MUST name the session cookie __Host- with Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain', async () => {
    const app = createApp(ctx);
    const jar = new Jar();
    const start = await request(app).get(authorizeUrl(defaultParams(client))).expect(303);
    jar.take(start);
    const loginPath = pathOf(start.headers.location as string);
    const page = await request(app).get(loginPath).set('Cookie', jar.header()).expect(200);
    const login = await request(app).post(loginPath).set('Cookie', jar.header()).type('form')
      .send({ csrf: csrfOf(page.text), username: user.username, password }).expect(303);
    jar.take(login);
    const session = jar.raw.find((line) => line.startsWith('__Host-castellan='))!;
    expect(session).toBeDefined();
    const attributes = session.split(';').map((part) => part.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']));
    expect(attributes.some((a) => a.startsWith('domain='))).toBe(false);
    // The interaction-binding cookie is Secure and HttpOnly as well.
    const interaction = jar.raw.find((line) => line.startsWith('__Secure-castellan-interaction='))!;
    expect(interaction.toLowerCase()).toMatch(/; httponly; secure; samesite=lax/);
    // No plain-named session cookie is ever written over https.
    expect(jar.raw.some((line) => line.startsWith('castellan_session='))).toBe(false);
  });
});

describe(`sessions: fixation, lifetimes and CSRF (${backendName})`, () => {
  let ctx: TestContext;
  let client: ClientRecord;
  let user: UserRecord;
  let password: string;

  beforeAll(async () => {
    ctx = await createTestContext({ sessionIdleTtl: 600, sessionAbsoluteTtl: 1800 });
    client = await registerClient(ctx);
    ({ user, password } = await registerUser(ctx));
  });
  afterAll(() => ctx.close());

  const sessionCookieOf = (res: { headers: Record<string, unknown> }) =>
    ((res.headers['set-cookie'] as string[] | undefined) ?? []).map((line) => /^castellan_session=([^;]*)/.exec(line)?.[1]).find(Boolean);

  it('MUST issue a new session id at login and never adopt a planted one (ASVS 7.2.4)', async () => {
    // The attacker signs in as themself and plants that session cookie in the victim's browser.
    const attacker = await registerUser(ctx);
    const attackerBrowser = browser(ctx);
    const start = await attackerBrowser.get(authorizeUrl(defaultParams(client))).expect(303);
    const attackerLogin = await submitLogin(attackerBrowser, pathOf(start.headers.location as string), attacker.user.username, attacker.password);
    const planted = sessionCookieOf(attackerLogin)!;
    expect(planted).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const victim = browser(ctx);
    const victimStart = await victim.get(authorizeUrl(defaultParams(client))).expect(303);
    const loginPath = pathOf(victimStart.headers.location as string);
    const page = await victim.get(loginPath).expect(200);
    const login = await victim.post(loginPath).set('Cookie', `castellan_session=${planted}; ${(victimStart.headers['set-cookie'] as unknown as string[])[0].split(';')[0]}`)
      .type('form').send({ csrf: csrfOf(page.text), username: user.username, password }).expect(303);
    const issued = sessionCookieOf(login)!;
    expect(issued).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issued).not.toBe(planted);
    // The planted id authenticates no one now: its row is gone.
    expect(await ctx.stores.sessions.find(hashHandle(planted))).toBeUndefined();
    expect((await request(createApp(ctx)).get('/account/mfa').set('Cookie', `castellan_session=${planted}`)).status).toBe(401);
    const session = await ctx.stores.sessions.find(hashHandle(issued));
    expect(session?.userId).toBe(user.id);
  });

  it('MUST end a session after the idle timeout and at the absolute lifetime (ASVS 7.3.1, 7.3.2)', async () => {
    const agent = browser(ctx);
    await authorizeThroughPages(agent, defaultParams(client), user.username, password);
    expect((await agent.get('/account/mfa')).status).toBe(200);
    ctx.clock.advance(601);
    expect((await agent.get('/account/mfa')).status).toBe(401);

    await authorizeThroughPages(agent, defaultParams(client, { prompt: 'login' }), user.username, password);
    for (let elapsed = 0; elapsed < 1800; elapsed += 500) {
      expect((await agent.get('/account/mfa')).status).toBe(200);
      ctx.clock.advance(500);
    }
    expect((await agent.get('/account/mfa')).status).toBe(401);
    // And /authorize asks for a login again.
    const again = await agent.get(authorizeUrl(defaultParams(client))).expect(303);
    expect(pathOf(again.headers.location as string)).toMatch(/\/login$/);
  });

  describe('RFC 6749 §10.12 CSRF on every form', () => {
    const forged = 'A'.repeat(43);

    it('MUST refuse the login form without its token', async () => {
      const agent = browser(ctx);
      const start = await agent.get(authorizeUrl(defaultParams(client))).expect(303);
      const loginPath = pathOf(start.headers.location as string);
      await agent.get(loginPath).expect(200);
      for (const csrf of [undefined, forged]) {
        const res = await agent.post(loginPath).type('form').send({ csrf, username: user.username, password });
        expect(res.status).toBe(403);
        expect(sessionCookieOf(res)).toBeUndefined();
      }
    });

    it('MUST refuse the consent form without its token', async () => {
      const agent = browser(ctx);
      const start = await agent.get(authorizeUrl(defaultParams(client, { prompt: 'consent' }))).expect(303);
      const login = await submitLogin(agent, pathOf(start.headers.location as string), user.username, password);
      const consentPath = pathOf(login.headers.location as string);
      for (const csrf of [undefined, forged]) {
        const res = await agent.post(consentPath).type('form').send({ csrf, decision: 'approve' });
        expect(res.status).toBe(403);
        expect(res.headers.location).toBeUndefined();
      }
    });

    it('MUST refuse the MFA form without its token', async () => {
      const enrolled = await registerUser(ctx);
      await enrollUser(ctx, enrolled.user);
      const agent = browser(ctx);
      const start = await agent.get(authorizeUrl(defaultParams(client))).expect(303);
      const login = await submitLogin(agent, pathOf(start.headers.location as string), enrolled.user.username, enrolled.password);
      const mfaPath = pathOf(login.headers.location as string);
      expect(mfaPath).toMatch(/\/mfa$/);
      for (const csrf of [undefined, forged]) {
        const res = await agent.post(mfaPath).type('form').send({ csrf, otp: '123456' });
        expect(res.status).toBe(403);
      }
      // Refused before any code is checked: no failure was counted or audited.
      expect(await ctx.stores.audit.list({ type: 'mfa.failed', userId: enrolled.user.id })).toEqual([]);
    });

    it('MUST refuse the MFA enrolment form without a token issued to this session', async () => {
      const other = await registerUser(ctx);
      const agent = browser(ctx);
      await authorizeThroughPages(agent, defaultParams(client), other.user.username, other.password);
      const elsewhere = browser(ctx);
      await authorizeThroughPages(elsewhere, defaultParams(client), other.user.username, other.password);
      // A token rendered for another session of the same user is refused too.
      const foreign = csrfOf((await elsewhere.get('/account/mfa').expect(200)).text);
      for (const csrf of [undefined, forged, foreign]) {
        const res = await agent.post('/account/mfa').type('form').send({ csrf, password: other.password, otp: '123456' });
        expect(res.status).toBe(403);
      }
      expect(await ctx.stores.mfa.find(other.user.id)).toBeUndefined();
    });
  });
});
