/**
 * A native public client (token_endpoint_auth_method none) driven by oauth4webapi: the RFC 8252
 * loopback redirect with a port chosen at run time, PKCE S256, strict RFC 9207 iss checking,
 * ID token validation, userinfo and refresh rotation.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { FormBrowser } from '../support/form-browser.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

describe(`oauth4webapi native client flow (${backendName})`, () => {
  let rig: RunningServer;
  let as: oauth.AuthorizationServer;
  const appClient: oauth.Client = { client_id: 'native-app' };

  beforeAll(async () => {
    rig = await startTestServer();
    await createClient(rig.ctx, {
      client_id: 'native-app', application_type: 'native', token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'], grant_types: ['authorization_code', 'refresh_token'],
    });
    await createUser(rig.ctx, { username: 'bob', password: 'another long passphrase', claims: { email: 'bob@example.com' } });
    const issuer = new URL(rig.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
  });
  afterAll(() => rig.close());

  it('signs in over a loopback redirect on an ephemeral port and refreshes', async () => {
    // RFC 8252 §7.3: the client listens on a port picked at run time; only the port may differ.
    const redirectUri = 'http://127.0.0.1:53124/callback';
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: appClient.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid email offline_access',
      state, nonce, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }).toString();

    const browser = new FormBrowser();
    await browser.go(url.toString(), {}, redirectUri);
    await browser.submit({ username: 'bob', password: 'another long passphrase' }, undefined, redirectUri);
    const landed = await browser.submit({}, { name: 'decision', value: 'approve' }, redirectUri);

    const params = oauth.validateAuthResponse(as, appClient, new URL(landed.url), state);
    const response = await oauth.authorizationCodeGrantRequest(as, appClient, oauth.None(), params, redirectUri, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, appClient, response, { expectedNonce: nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    expect(claims.aud).toBe('native-app');
    expect(response.headers.get('cache-control')).toBe('no-store');

    const info = await oauth.processUserInfoResponse(as, appClient, claims.sub, await oauth.userInfoRequest(as, appClient, tokens.access_token, insecure));
    expect(info.email).toBe('bob@example.com');

    const refreshed = await oauth.processRefreshTokenResponse(as, appClient, await oauth.refreshTokenGrantRequest(as, appClient, oauth.None(), tokens.refresh_token!, insecure));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(oauth.getValidatedIdTokenClaims(refreshed)!.sub).toBe(claims.sub);
  });

  it('refuses a code exchange with the wrong PKCE verifier', async () => {
    const redirectUri = 'http://127.0.0.1:40000/callback';
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: appClient.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's1',
    }).toString();
    const browser = new FormBrowser();
    await browser.go(url.toString(), {}, redirectUri);
    const afterLogin = await browser.submit({ username: 'bob', password: 'another long passphrase' }, undefined, redirectUri);
    // Consent was given in the previous test and is remembered.
    expect(afterLogin.url.startsWith(redirectUri)).toBe(true);
    const params = oauth.validateAuthResponse(as, appClient, new URL(afterLogin.url), 's1');
    const response = await oauth.authorizationCodeGrantRequest(as, appClient, oauth.None(), params, redirectUri, oauth.generateRandomCodeVerifier(), insecure);
    await expect(oauth.processAuthorizationCodeResponse(as, appClient, response)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
