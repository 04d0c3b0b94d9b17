/**
 * Logout as a relying party experiences it, against a running Castellan: openid-client builds the
 * end-session URL, a form-submitting browser confirms on the logout page, and a real RP server on
 * 127.0.0.1 receives the back-channel logout token, which is verified with the provider's JWKS.
 * @spec https://openid.net/specs/openid-connect-rpinitiated-1_0.html
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { settleDeliveries } from '../../src/oidc-back-channel-logout/delivery-worker.js';
import { SIGNED_OUT_TEXT } from '../../src/ui/logout-pages.js';
import { createUser } from '../../src/users/user-service.js';
import { logoutTokenOf, startRpServer, type RpServer } from '../oidc-back-channel-logout/rp-server.js';
import { FormBrowser } from '../support/form-browser.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const POST_LOGOUT = 'http://127.0.0.1:9999/post_logout_redirect';
const SECRET = 'a-very-long-client-secret-for-logout-flows-0123';
const insecure = { execute: [client.allowInsecureRequests] };

describe(`logout flows with openid-client (${backendName})`, () => {
  let rig: RunningServer;
  let rp: RpServer;
  let config: client.Configuration;

  beforeAll(async () => {
    rig = await startTestServer();
    rp = await startRpServer();
    await createClient(rig.ctx, {
      client_id: 'web-app', client_secret: SECRET, redirect_uris: [REDIRECT], post_logout_redirect_uris: [POST_LOGOUT],
      grant_types: ['authorization_code', 'refresh_token'], backchannel_logout_uri: `${rp.origin}/backchannel_logout`, backchannel_logout_session_required: true,
    });
    await createUser(rig.ctx, { username: 'alice', password: 'correct horse battery' });
    config = await client.discovery(new URL(rig.issuer), 'web-app', SECRET, client.ClientSecretBasic(SECRET), insecure);
  });
  afterAll(async () => {
    await settleDeliveries(rig.ctx);
    await rp.close();
    await rig.close();
  });

  /** A code flow in `browser` (signing in on first use) validated by openid-client. */
  async function codeFlow(browser: FormBrowser, scope: string) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const start = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT, scope, state, nonce, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    let page = await browser.go(start.toString(), {}, REDIRECT);
    if (page.html.includes('name="username"')) page = await browser.submit({ username: 'alice', password: 'correct horse battery' }, undefined, REDIRECT);
    if (page.html.includes('id="approve"')) page = await browser.submit({}, { name: 'decision', value: 'approve' }, REDIRECT);
    return client.authorizationCodeGrant(config, new URL(page.url), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  }

  async function silentError(browser: FormBrowser): Promise<string | null> {
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', prompt: 'none', state: 's', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const landed = await browser.go(url.toString(), {}, REDIRECT);
    return new URL(landed.url).searchParams.get('error');
  }

  it('advertises end_session_endpoint and back-channel logout with sid', () => {
    expect(config.serverMetadata()).toMatchObject({
      end_session_endpoint: `${rig.issuer}/logout`, backchannel_logout_supported: true, backchannel_logout_session_supported: true,
    });
  });

  it('logs out with post_logout_redirect_uri: confirm page, redirect with state, and a back-channel logout token the RP can verify', async () => {
    const browser = new FormBrowser();
    const tokens = await codeFlow(browser, 'openid');
    const claims = tokens.claims()!;
    expect(typeof claims.sid).toBe('string');
    const state = client.randomState();
    const before = rp.received.length;
    const endSession = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT, state });
    const confirmPage = await browser.go(endSession.toString(), {}, POST_LOGOUT);
    expect(confirmPage.status).toBe(200);
    expect(confirmPage.html).toContain('id="logout-confirm"');
    const landed = await browser.submit({}, { name: 'decision', value: 'logout' }, POST_LOGOUT);
    expect(landed.url).toBe(`${POST_LOGOUT}?state=${state}`);

    const [request] = (await rp.waitFor(before + 1)).slice(before);
    expect(request.method).toBe('POST');
    const { payload, protectedHeader } = await jwtVerify(logoutTokenOf(request), createRemoteJWKSet(new URL(`${rig.issuer}/jwks`)), {
      issuer: rig.issuer, audience: 'web-app', typ: 'logout+jwt', maxTokenAge: 120,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: claims.sub, sid: claims.sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    expect(payload).not.toHaveProperty('nonce');

    expect(await silentError(browser)).toBe('login_required');
    // The session's online grant is gone with it: its access token no longer works.
    await expect(client.fetchUserInfo(config, tokens.access_token, claims.sub)).rejects.toThrow();
  });

  it('logs out without post_logout_redirect_uri: the signed-out page; offline_access refresh tokens survive', async () => {
    const browser = new FormBrowser();
    const offline = await codeFlow(browser, 'openid offline_access');
    const endSession = client.buildEndSessionUrl(config, { id_token_hint: offline.id_token! });
    await browser.go(endSession.toString());
    expect(browser.lastHtml).toContain('id="logout-confirm"');
    const done = await browser.submit({}, { name: 'decision', value: 'logout' });
    expect(done.status).toBe(200);
    expect(done.url).toBe(`${rig.issuer}/logout/done`);
    expect(done.html).toContain(SIGNED_OUT_TEXT);
    expect(await silentError(browser)).toBe('login_required');
    const refreshed = await client.refreshTokenGrant(config, offline.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(offline.claims()!.sub);
  });

  it('never redirects to an unregistered post_logout_redirect_uri, and leaves the session alone', async () => {
    const browser = new FormBrowser();
    const tokens = await codeFlow(browser, 'openid');
    const elsewhere = 'http://127.0.0.1:9999/elsewhere';
    const endSession = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: elsewhere, state: 's' });
    const page = await browser.go(endSession.toString(), {}, elsewhere);
    expect(page.status).toBe(400);
    expect(page.html).toContain('invalid post_logout_redirect_uri');
    expect(await silentError(browser)).toBeNull();
  });
});
