/**
 * The OpenID Connect behaviours a certification run exercises, as whole flows driven by openid-client
 * against a running Castellan: silent authentication with prompt=none (with and without a session),
 * max_age forcing a new sign-in, response_mode=form_post, and a key rotation during which tokens
 * signed before it keep validating while new ones carry the new key.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (prompt=none, max_age)
 * @spec https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { FormBrowser, parseForms } from '../support/form-browser.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const SECRET = 'another-long-client-secret-of-at-least-32-characters';
const PASSWORD = 'correct horse battery';
const insecure = { execute: [client.allowInsecureRequests] };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`OIDC certification behaviours through openid-client (${backendName})`, () => {
  let rig: RunningServer;
  let config: client.Configuration;

  beforeAll(async () => {
    rig = await startTestServer();
    await createClient(rig.ctx, {
      client_id: 'cert-rp', client_secret: SECRET, redirect_uris: [REDIRECT],
      grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic',
    });
    await createUser(rig.ctx, { username: 'carol', password: PASSWORD, claims: { name: 'Carol', email: 'carol@example.com', email_verified: true } });
    config = await client.discovery(new URL(rig.issuer), 'cert-rp', SECRET, client.ClientSecretBasic(SECRET), insecure);
  });
  afterAll(() => rig.close());

  /** A fresh authorization request: its URL and the checks the library applies to the answer. */
  async function authorization(extra: Record<string, string> = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT, scope: 'openid email', state, nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
    });
    return { url: url.toString(), checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce } };
  }

  /** Signs in on the login page (and approves consent when asked); returns where the browser landed. */
  async function signIn(browser: FormBrowser, url: string) {
    const login = await browser.go(url, {}, REDIRECT);
    expect(login.html).toContain('name="username"');
    const afterLogin = await browser.submit({ username: 'carol', password: PASSWORD }, undefined, REDIRECT);
    return afterLogin.html.includes('id="approve"') ? browser.submit({}, { name: 'decision', value: 'approve' }, REDIRECT) : afterLogin;
  }

  it('prompt=none: answers at once with a code when signed in, and login_required when not', async () => {
    const browser = new FormBrowser();
    const first = await authorization();
    await client.authorizationCodeGrant(config, new URL((await signIn(browser, first.url)).url), first.checks);

    const silent = await authorization({ prompt: 'none' });
    const landed = await browser.go(silent.url, {}, REDIRECT);
    expect(landed.url.startsWith(REDIRECT)).toBe(true);
    const tokens = await client.authorizationCodeGrant(config, new URL(landed.url), silent.checks);
    expect(tokens.claims()?.sub).toBeTruthy();

    const stranger = await authorization({ prompt: 'none' });
    const refused = await new FormBrowser().go(stranger.url, {}, REDIRECT);
    await expect(client.authorizationCodeGrant(config, new URL(refused.url), stranger.checks)).rejects.toMatchObject({ error: 'login_required' });
  });

  it('max_age=0: shows the login page again despite the session, and auth_time moves forward', async () => {
    const browser = new FormBrowser();
    const first = await authorization();
    const before = await client.authorizationCodeGrant(config, new URL((await signIn(browser, first.url)).url), first.checks);
    await sleep(1100);
    const again = await authorization({ max_age: '0' });
    const landed = await signIn(browser, again.url);
    const after = await client.authorizationCodeGrant(config, new URL(landed.url), { ...again.checks, maxAge: 0 });
    expect(after.claims()!.auth_time!).toBeGreaterThan(before.claims()!.auth_time!);
  });

  it('response_mode=form_post: the code arrives in an auto-submitting form the library accepts', async () => {
    const browser = new FormBrowser();
    const request = await authorization({ response_mode: 'form_post' });
    const page = await signIn(browser, request.url);
    const form = parseForms(page.html, page.url).find((candidate) => candidate.action === REDIRECT);
    expect(form?.method.toUpperCase()).toBe('POST');
    const body = new URLSearchParams(form!.fields.map((field) => [field.name, field.value]));
    expect(body.get('iss')).toBe(rig.issuer);
    const post = new Request(REDIRECT, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const tokens = await client.authorizationCodeGrant(config, post, request.checks);
    const sub = tokens.claims()!.sub;
    // Scope claims come from UserInfo when an access token is issued (OIDC Core §5.4).
    expect(await client.fetchUserInfo(config, tokens.access_token, sub)).toMatchObject({ sub, email: 'carol@example.com' });
  });

  it('key rotation: an ID token signed before it still verifies against the JWKS; new ones use the new key', async () => {
    const browser = new FormBrowser();
    const first = await authorization();
    const old = await client.authorizationCodeGrant(config, new URL((await signIn(browser, first.url)).url), first.checks);
    const oldKid = decodeProtectedHeader(old.id_token!).kid;

    await rig.ctx.keystore.rotate();

    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const verified = await jwtVerify(old.id_token!, jwks, { issuer: rig.issuer, audience: 'cert-rp' });
    expect(verified.protectedHeader.kid).toBe(oldKid);

    const next = await authorization({ prompt: 'none' });
    const landed = await browser.go(next.url, {}, REDIRECT);
    const fresh = await client.authorizationCodeGrant(config, new URL(landed.url), next.checks);
    expect(decodeProtectedHeader(fresh.id_token!).kid).not.toBe(oldKid);
  });
});
