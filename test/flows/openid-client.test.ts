/**
 * Whole flows driven by the certified RP library openid-client against a running Castellan:
 * discovery, code flow with PKCE through the login and consent forms, ID token validated by the
 * library, userinfo, refresh with rotation, rotated refresh token rejected and its family revoked,
 * and client credentials with every client authentication method.
 */
import { exportJWK, generateKeyPair } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { FormBrowser } from '../support/form-browser.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const SECRET = 'a-very-long-client-secret-of-at-least-32-characters';
const insecure = { execute: [client.allowInsecureRequests] };

describe(`openid-client flows (${backendName})`, () => {
  let rig: RunningServer;
  let config: client.Configuration;

  beforeAll(async () => {
    rig = await startTestServer();
    await createClient(rig.ctx, {
      client_id: 'web-app', client_secret: SECRET, redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_basic',
    });
    await createUser(rig.ctx, { username: 'alice', password: 'correct horse battery', claims: { name: 'Alice Liddell', email: 'alice@example.com', email_verified: true } });
    config = await client.discovery(new URL(rig.issuer), 'web-app', SECRET, client.ClientSecretBasic(SECRET), insecure);
  });
  afterAll(() => rig.close());

  /** Signs in through the real pages and returns the URL the browser lands on at the client. */
  async function signIn(parameters: Record<string, string>): Promise<URL> {
    const browser = new FormBrowser();
    const start = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, ...parameters });
    const login = await browser.go(start.toString(), {}, REDIRECT);
    expect(login.html).toContain('name="username"');
    const afterLogin = await browser.submit({ username: 'alice', password: 'correct horse battery' }, undefined, REDIRECT);
    // Consent is remembered per user and client: only the first flow shows the consent page.
    const landed = afterLogin.html.includes('id="approve"') ? await browser.submit({}, { name: 'decision', value: 'approve' }, REDIRECT) : afterLogin;
    return new URL(landed.url);
  }

  async function codeFlow(scope: string) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const callback = await signIn({
      scope, state, nonce, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    return client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  }

  it('discovers the provider metadata', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(rig.issuer);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('completes the code flow with PKCE; the library validates the ID token and userinfo', async () => {
    const tokens = await codeFlow('openid profile email offline_access');
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(rig.issuer);
    expect(claims.aud).toBe('web-app');
    expect(typeof claims.auth_time).toBe('number');
    expect(claims.sid).toBeUndefined();
    expect(tokens.refresh_token).toBeTruthy();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: claims.sub, name: 'Alice Liddell', email: 'alice@example.com' });
  });

  it('rotates refresh tokens; a rotated token is rejected and revokes the whole family', async () => {
    const first = await codeFlow('openid offline_access');
    const second = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.claims()!.sub).toBe(first.claims()!.sub);
    expect(second.claims()!.auth_time).toBe(first.claims()!.auth_time);
    await expect(client.fetchUserInfo(config, second.access_token, client.skipSubjectCheck)).resolves.toBeTruthy();

    await expect(client.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The reuse revoked the family: the newest refresh token and access token are dead too.
    await expect(client.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(config, second.access_token, client.skipSubjectCheck)).rejects.toBeTruthy();
  });

  describe('client credentials with each client authentication method', () => {
    it.each([
      ['client_secret_basic', (secret: string) => client.ClientSecretBasic(secret)],
      ['client_secret_post', (secret: string) => client.ClientSecretPost(secret)],
      ['client_secret_jwt', (secret: string) => client.ClientSecretJwt(secret)],
    ] as const)('%s', async (method, auth) => {
      const clientId = `service-${method}`;
      await createClient(rig.ctx, { client_id: clientId, client_secret: SECRET, grant_types: ['client_credentials'], token_endpoint_auth_method: method, scope: 'reports:read' });
      const service = await client.discovery(new URL(rig.issuer), clientId, undefined, auth(SECRET), insecure);
      const tokens = await client.clientCredentialsGrant(service, { scope: 'reports:read' });
      expect(tokens.token_type.toLowerCase()).toBe('bearer');
      expect(tokens.access_token).toBeTruthy();
      expect(tokens.refresh_token).toBeUndefined();
      expect(tokens.id_token).toBeUndefined();
    });

    it('private_key_jwt', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      await createClient(rig.ctx, {
        client_id: 'service-private-key-jwt', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', kid: 'k1' }] },
      });
      const service = await client.discovery(new URL(rig.issuer), 'service-private-key-jwt', undefined, client.PrivateKeyJwt({ key: privateKey, kid: 'k1' }), insecure);
      const tokens = await client.clientCredentialsGrant(service);
      expect(tokens.access_token).toBeTruthy();
    });

    it('rejects a wrong secret with invalid_client', async () => {
      const service = await client.discovery(new URL(rig.issuer), 'service-client_secret_basic', undefined, client.ClientSecretBasic('x'.repeat(40)), insecure);
      // A 401 with a Basic challenge surfaces as openid-client's WWWAuthenticateChallengeError.
      const error = await client.clientCredentialsGrant(service).then(() => undefined, (e: { status?: number; response?: Response }) => e);
      expect(error?.status).toBe(401);
      expect(await error!.response!.json()).toMatchObject({ error: 'invalid_client' });
    });
  });
});
