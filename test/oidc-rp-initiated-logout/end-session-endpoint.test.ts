/**
 * RP-Initiated Logout 1.0 at the end_session_endpoint, through HTTP with a cookie-keeping agent:
 * the confirmation page, ending the session (grants, back-channel notice), the redirect to a
 * validated post_logout_redirect_uri with state, the signed-out page, and every rejection ending
 * on an error page without a redirect and without touching the session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { createClient } from '../../src/clients/client-service.js';
import { settleDeliveries } from '../../src/oidc-back-channel-logout/delivery-worker.js';
import { FORM_TOKEN_TTL } from '../../src/ui/session-form-token.js';
import { SIGNED_OUT_TEXT, STILL_SIGNED_IN_TEXT } from '../../src/ui/logout-pages.js';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { createApp } from '../../src/server/app.js';
import request from 'supertest';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import {
  authorizeThroughPages, authorizeUrl, browser, csrfOf, defaultParams, pkcePair, REDIRECT_URI, registerUser, type Agent,
} from '../support/browser-flow.js';
import { basic } from '../support/token-fixtures.js';
import { logoutTokenOf, startRpServer, type RpServer } from '../oidc-back-channel-logout/rp-server.js';
import { foreignIdToken, idTokenFor, tamperedIdToken } from './hint-fixtures.js';

const SECRET = 'end-session-endpoint-test-secret-0123456789';
const LOGOUT_A = 'https://rp-a.example/post_logout_redirect';

interface Tokens {
  id_token: string;
  access_token: string;
  refresh_token?: string;
}

describe(`RP-Initiated Logout 1.0 end_session_endpoint (${backendName})`, () => {
  let ctx: TestContext;
  let rp: RpServer;
  let rpA: ClientRecord;
  let alice: { user: UserRecord; password: string };
  let bob: { user: UserRecord; password: string };

  beforeAll(async () => {
    ctx = await createTestContext();
    rp = await startRpServer();
    rpA = (await createClient(ctx, {
      client_id: 'rp-a', client_secret: SECRET, client_name: 'RP <A>', redirect_uris: [REDIRECT_URI], post_logout_redirect_uris: [LOGOUT_A],
      grant_types: ['authorization_code', 'refresh_token'], backchannel_logout_uri: `${rp.origin}/backchannel_logout`, backchannel_logout_session_required: true,
    })).record;
    await createClient(ctx, { client_id: 'rp-b', client_secret: SECRET, redirect_uris: [REDIRECT_URI], post_logout_redirect_uris: ['https://rp-b.example/bye'] });
    alice = await registerUser(ctx);
    bob = await registerUser(ctx);
  });
  afterAll(async () => {
    await settleDeliveries(ctx);
    await rp.close();
    await ctx.close();
  });

  /** Signs in (login and consent pages on the first call) and exchanges the code at /token. */
  async function signIn(agent: Agent, scope = 'openid', who = alice): Promise<Tokens> {
    const { verifier, challenge } = pkcePair();
    const url = await authorizeThroughPages(agent, defaultParams(rpA, { scope, code_challenge: challenge, prompt: undefined }), who.user.username, who.password);
    const res = await agent.post('/token').set('Authorization', basic('rp-a', SECRET)).type('form')
      .send({ grant_type: 'authorization_code', code: url.searchParams.get('code')!, redirect_uri: REDIRECT_URI, code_verifier: verifier }).expect(200);
    return res.body as Tokens;
  }

  /** prompt=none: a code when the session lives, login_required once it ended. */
  async function silentResult(agent: Agent): Promise<string> {
    const res = await agent.get(authorizeUrl(defaultParams(rpA, { prompt: 'none', scope: 'openid' }))).expect(303);
    const params = new URL(res.headers.location).searchParams;
    return params.get('error') ?? (params.get('code') ? 'code' : 'nothing');
  }

  const logoutUrl = (params: Record<string, string>) => `/logout?${new URLSearchParams(params)}`;

  function confirm(agent: Agent, page: string, decision = 'logout') {
    return agent.post('/logout/confirm').type('form').send({ csrf: csrfOf(page), decision });
  }

  function expectErrorPage(res: request.Response, text: RegExp): void {
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toMatch(text);
  }

  it('publishes end_session_endpoint in the discovery document (§2.1)', async () => {
    const res = await request(createApp(ctx)).get('/.well-known/openid-configuration').expect(200);
    expect(res.body.end_session_endpoint).toBe(`${ctx.config.issuer}/logout`);
  });

  it('asks the End-User to confirm, without ending the session yet (§2)', async () => {
    const agent = browser(ctx);
    const tokens = await signIn(agent);
    const page = await agent.get(logoutUrl({ id_token_hint: tokens.id_token, post_logout_redirect_uri: LOGOUT_A, state: 'st' })).expect(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('id="logout-confirm"');
    expect(page.text).toContain('RP &lt;A&gt;');
    expect(page.text).toContain(alice.user.username);
    expect(await silentResult(agent)).toBe('code');
  });

  it('on confirmation ends the session, notifies the client over the back channel and redirects to post_logout_redirect_uri with state (303)', async () => {
    const agent = browser(ctx);
    const tokens = await signIn(agent);
    const idToken = decodeJwt(tokens.id_token);
    const state = 'x'.repeat(128);
    const page = await agent.get(logoutUrl({ id_token_hint: tokens.id_token, post_logout_redirect_uri: LOGOUT_A, state })).expect(200);
    const before = rp.received.length;
    const done = await confirm(agent, page.text).expect(303);
    expect(done.headers.location).toBe(`${LOGOUT_A}?state=${state}`);
    expect((done.headers['set-cookie'] as unknown as string[]).some((c) => /^castellan_session=;.*Max-Age=0/.test(c))).toBe(true);
    expect(await ctx.knex('sessions').where({ sid: idToken.sid as string })).toEqual([]);
    expect(await silentResult(agent)).toBe('login_required');
    const [event] = await ctx.stores.audit.list({ type: 'session.ended', userId: alice.user.id, limit: 1 });
    expect(event.details).toMatchObject({ sid: idToken.sid, reason: 'rp_initiated_logout', backchannelDeliveries: 1 });
    expect(event.ip).toBeTruthy();
    await settleDeliveries(ctx);
    const [delivery] = (await rp.waitFor(before + 1)).slice(before);
    const logoutToken = decodeJwt(logoutTokenOf(delivery));
    expect(logoutToken).toMatchObject({ iss: ctx.config.issuer, aud: 'rp-a', sub: idToken.sub, sid: idToken.sid });
  });

  it('revokes the grants of the ended session except offline_access ones (BCL §2.7, OIDC Core §11)', async () => {
    const agent = browser(ctx);
    const online = await signIn(agent, 'openid');
    const offline = await signIn(agent, 'openid offline_access');
    const page = await agent.get(logoutUrl({ id_token_hint: online.id_token })).expect(200);
    await confirm(agent, page.text).expect(303);
    const app = createApp(ctx);
    await request(app).get('/userinfo').set('Authorization', `Bearer ${online.access_token}`).expect(401);
    await request(app).get('/userinfo').set('Authorization', `Bearer ${offline.access_token}`).expect(200);
    const refreshed = await request(app).post('/token').set('Authorization', basic('rp-a', SECRET)).type('form')
      .send({ grant_type: 'refresh_token', refresh_token: offline.refresh_token! });
    expect(refreshed.status).toBe(200);
  });

  it('without post_logout_redirect_uri shows the signed-out page after the 303', async () => {
    const agent = browser(ctx);
    const tokens = await signIn(agent);
    const page = await agent.get(logoutUrl({ id_token_hint: tokens.id_token, state: 'only-state' })).expect(200);
    const done = await confirm(agent, page.text).expect(303);
    expect(done.headers.location).toBe('/logout/done');
    const shown = await agent.get('/logout/done').expect(200);
    expect(shown.text).toContain(SIGNED_OUT_TEXT);
    expect(await silentResult(agent)).toBe('login_required');
  });

  it('accepts the request as a POST form as well as a GET', async () => {
    const agent = browser(ctx);
    const tokens = await signIn(agent);
    const page = await agent.post('/logout').type('form').send({ id_token_hint: tokens.id_token, post_logout_redirect_uri: LOGOUT_A }).expect(200);
    const done = await confirm(agent, page.text).expect(303);
    expect(done.headers.location).toBe(LOGOUT_A);
  });

  it('still asks when the hint names another user, and ends the session of the user actually signed in', async () => {
    const agent = browser(ctx);
    await signIn(agent, 'openid', bob);
    const aliceHint = await idTokenFor(ctx, rpA, alice.user);
    const page = await agent.get(logoutUrl({ id_token_hint: aliceHint })).expect(200);
    expect(page.text).toContain(bob.user.username);
    await confirm(agent, page.text).expect(303);
    expect(await silentResult(agent)).toBe('login_required');
  });

  it('without a session redirects at once to a validated post_logout_redirect_uri, or shows the signed-out page', async () => {
    const hint = await idTokenFor(ctx, rpA, alice.user);
    const anonymous = request(createApp(ctx));
    const redirected = await anonymous.get(logoutUrl({ id_token_hint: hint, post_logout_redirect_uri: LOGOUT_A, state: 'abc' })).expect(303);
    expect(redirected.headers.location).toBe(`${LOGOUT_A}?state=abc`);
    const plain = await anonymous.get('/logout').expect(303);
    expect(plain.headers.location).toBe('/logout/done');
  });

  it('"Stay signed in" keeps the session and redirects nowhere else', async () => {
    const agent = browser(ctx);
    const tokens = await signIn(agent);
    const page = await agent.get(logoutUrl({ id_token_hint: tokens.id_token, post_logout_redirect_uri: LOGOUT_A })).expect(200);
    const stay = await confirm(agent, page.text, 'stay').expect(303);
    expect(stay.headers.location).toBe('/logout/done?outcome=stayed');
    expect((await agent.get(stay.headers.location).expect(200)).text).toContain(STILL_SIGNED_IN_TEXT);
    expect(await silentResult(agent)).toBe('code');
  });

  it('a second confirmation (another tab) after the session ended only redirects', async () => {
    const agent = browser(ctx);
    const tokens = await signIn(agent);
    const first = await agent.get(logoutUrl({ id_token_hint: tokens.id_token, post_logout_redirect_uri: LOGOUT_A })).expect(200);
    const second = await agent.get(logoutUrl({ id_token_hint: tokens.id_token, post_logout_redirect_uri: LOGOUT_A })).expect(200);
    await confirm(agent, first.text).expect(303);
    const again = await confirm(agent, second.text).expect(303);
    expect(again.headers.location).toBe(LOGOUT_A);
  });

  describe('CSRF protection of the confirmation', () => {
    it('rejects a confirmation without, or with a forged, form token (403) and keeps the session', async () => {
      const agent = browser(ctx);
      await signIn(agent);
      for (const csrf of [undefined, 'v1.forged.token.value', 'x'.repeat(40)]) {
        const res = await agent.post('/logout/confirm').type('form').send({ ...(csrf ? { csrf } : {}), decision: 'logout' });
        expect(res.status).toBe(403);
        expect(res.headers.location).toBeUndefined();
      }
      expect(await silentResult(agent)).toBe('code');
    });

    it("rejects a form token issued to another browser's session", async () => {
      const attacker = browser(ctx);
      await signIn(attacker, 'openid', bob);
      const attackerPage = await attacker.get('/logout').expect(200);
      const victim = browser(ctx);
      await signIn(victim);
      await confirm(victim, attackerPage.text).expect(403);
      expect(await silentResult(victim)).toBe('code');
    });

    it('rejects an expired form token', async () => {
      const agent = browser(ctx);
      await signIn(agent);
      const page = await agent.get('/logout').expect(200);
      ctx.clock.advance(FORM_TOKEN_TTL + 1);
      try {
        await confirm(agent, page.text).expect(403);
      } finally {
        ctx.clock.advance(-(FORM_TOKEN_TTL + 1));
      }
    });

    it('rejects a confirmation without a decision', async () => {
      const agent = browser(ctx);
      await signIn(agent);
      const page = await agent.get('/logout').expect(200);
      await agent.post('/logout/confirm').type('form').send({ csrf: csrfOf(page.text) }).expect(400);
      expect(await silentResult(agent)).toBe('code');
    });
  });

  describe('§4 invalid requests: an error page, never a redirect, the session untouched', () => {
    let agent: Agent;
    let hint: string;
    beforeAll(async () => {
      agent = browser(ctx);
      hint = (await signIn(agent)).id_token;
    });

    it('MUST NOT redirect to an unregistered post_logout_redirect_uri', async () => {
      expectErrorPage(await agent.get(logoutUrl({ id_token_hint: hint, post_logout_redirect_uri: 'https://evil.example/', state: 's' })), /invalid post_logout_redirect_uri/);
    });

    it('MUST NOT redirect when a query was added to the registered post_logout_redirect_uri', async () => {
      expectErrorPage(await agent.get(logoutUrl({ id_token_hint: hint, post_logout_redirect_uri: `${LOGOUT_A}?foo=bar` })), /invalid post_logout_redirect_uri/);
    });

    it('MUST NOT redirect to the URI of another client', async () => {
      expectErrorPage(await agent.get(logoutUrl({ id_token_hint: hint, post_logout_redirect_uri: 'https://rp-b.example/bye' })), /invalid post_logout_redirect_uri/);
    });

    it('MUST NOT redirect without id_token_hint or client_id', async () => {
      expectErrorPage(await agent.get(logoutUrl({ post_logout_redirect_uri: LOGOUT_A, state: 's' })), /invalid post_logout_redirect_uri/);
    });

    it('rejects an id_token_hint signed by someone else', async () => {
      expectErrorPage(await agent.get(logoutUrl({ id_token_hint: await foreignIdToken(ctx, hint), post_logout_redirect_uri: LOGOUT_A })), /id_token_hint/);
    });

    it('rejects a modified id_token_hint', async () => {
      expectErrorPage(await agent.get(logoutUrl({ id_token_hint: tamperedIdToken(hint, { aud: 'rp-b' }), post_logout_redirect_uri: LOGOUT_A })), /id_token_hint/);
    });

    it('rejects a malformed id_token_hint', async () => {
      expectErrorPage(await agent.get(logoutUrl({ id_token_hint: 'not-a-jwt', post_logout_redirect_uri: LOGOUT_A })), /id_token_hint/);
    });

    it('MUST reject client_id that does not match the hint (§2)', async () => {
      expectErrorPage(await agent.get(logoutUrl({ id_token_hint: hint, client_id: 'rp-b', post_logout_redirect_uri: 'https://rp-b.example/bye' })), /client_id/);
    });

    it('rejects an id_token_hint issued for another client used with its post_logout_redirect_uri', async () => {
      const rpB = (await ctx.stores.clients.find('rp-b'))!;
      const hintForB = await idTokenFor(ctx, rpB, alice.user);
      expectErrorPage(await agent.get(logoutUrl({ id_token_hint: hintForB, post_logout_redirect_uri: LOGOUT_A })), /invalid post_logout_redirect_uri/);
    });

    it('left the session alive through all of the above', async () => {
      expect(await silentResult(agent)).toBe('code');
    });
  });
});
