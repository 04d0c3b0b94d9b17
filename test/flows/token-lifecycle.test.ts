/**
 * The token lifecycle driven by real RP libraries against a running Castellan: openid-client's
 * tokenIntrospection / tokenRevocation and oauth4webapi's introspectionRequest / revocationRequest,
 * for each token kind (opaque access, JWT access, refresh), with resource indicators carried from
 * the authorization request to the token's audience.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2
 */
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { FormBrowser } from '../support/form-browser.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const SECRET = 'a-very-long-client-secret-of-at-least-32-characters';
const API = 'https://api.example/';
const JWT_API = 'urn:example:jwt-api';
const USER = { username: 'frank', password: 'frank has a long passphrase' };
const insecure = { execute: [client.allowInsecureRequests] };

describe(`token lifecycle with openid-client and oauth4webapi (${backendName})`, () => {
  let rig: RunningServer;

  beforeAll(async () => {
    rig = await startTestServer({ jwtAccessTokenResources: [JWT_API], rateLimitToken: { points: 10_000, duration: 60 } });
    const web = { client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], resources: [API, JWT_API] };
    await createClient(rig.ctx, { client_id: 'rp', ...web });
    await createClient(rig.ctx, { client_id: 'rp-jwt', ...web, access_token_format: 'jwt', token_endpoint_auth_method: 'client_secret_post' });
    await createClient(rig.ctx, { client_id: 'native', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1/callback'], grant_types: ['authorization_code', 'refresh_token'] });
    await createUser(rig.ctx, { ...USER, claims: { email: 'frank@example.com' } });
  });
  afterAll(() => rig.close());

  /** Signs in through the real pages (consenting when asked) and returns where the browser lands. */
  async function signIn(url: string, redirect: string): Promise<URL> {
    const browser = new FormBrowser();
    let page = await browser.go(url, {}, redirect);
    if (page.html.includes('name="username"')) page = await browser.submit(USER, undefined, redirect);
    if (page.html.includes('id="approve"')) page = await browser.submit({}, { name: 'decision', value: 'approve' }, redirect);
    return new URL(page.url);
  }

  describe('openid-client', () => {
    let rp: client.Configuration;
    let rpJwt: client.Configuration;

    beforeAll(async () => {
      rp = await client.discovery(new URL(rig.issuer), 'rp', SECRET, client.ClientSecretBasic(SECRET), insecure);
      rpJwt = await client.discovery(new URL(rig.issuer), 'rp-jwt', SECRET, client.ClientSecretPost(SECRET), insecure);
    });

    async function codeFlow(config: client.Configuration, resources: string[] = [], tokenResource?: string) {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const parameters = new URLSearchParams({
        redirect_uri: REDIRECT, scope: 'openid email offline_access', state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      for (const resource of resources) parameters.append('resource', resource);
      const callback = await signIn(client.buildAuthorizationUrl(config, parameters).toString(), REDIRECT);
      return client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, tokenResource ? { resource: tokenResource } : undefined);
    }

    it('discovers the introspection and revocation endpoints and their authentication methods', () => {
      const metadata = rp.serverMetadata();
      expect(metadata.introspection_endpoint).toBe(`${rig.issuer}/introspect`);
      expect(metadata.revocation_endpoint).toBe(`${rig.issuer}/revoke`);
      expect(metadata.introspection_endpoint_auth_methods_supported).toContain('client_secret_basic');
      expect(metadata.introspection_endpoint_auth_methods_supported).not.toContain('none');
      expect(metadata.revocation_endpoint_auth_methods_supported).toContain('none');
    });

    it('introspects and revokes an opaque access token alone; the refresh token still works', async () => {
      const tokens = await codeFlow(rp);
      const sub = tokens.claims()!.sub;
      const introspected = await client.tokenIntrospection(rp, tokens.access_token);
      expect(introspected).toMatchObject({ active: true, client_id: 'rp', sub, username: USER.username, token_type: 'Bearer', scope: 'openid email offline_access' });
      await client.tokenRevocation(rp, tokens.access_token, { token_type_hint: 'access_token' });
      expect(await client.tokenIntrospection(rp, tokens.access_token)).toStrictEqual({ active: false });
      await expect(client.fetchUserInfo(rp, tokens.access_token, sub)).rejects.toBeTruthy();
      const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token!);
      expect((await client.tokenIntrospection(rp, refreshed.access_token)).active).toBe(true);
    });

    it('introspects a refresh token, and revoking it ends the whole family', async () => {
      const first = await codeFlow(rp);
      const second = await client.refreshTokenGrant(rp, first.refresh_token!);
      expect(await client.tokenIntrospection(rp, second.refresh_token!, { token_type_hint: 'refresh_token' })).toMatchObject({ active: true, client_id: 'rp' });
      // The rotated-away token is no longer active.
      expect(await client.tokenIntrospection(rp, first.refresh_token!)).toStrictEqual({ active: false });
      await client.tokenRevocation(rp, second.refresh_token!);
      for (const token of [second.refresh_token!, second.access_token, first.access_token]) {
        expect(await client.tokenIntrospection(rp, token)).toStrictEqual({ active: false });
      }
      await expect(client.refreshTokenGrant(rp, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('introspects and revokes a JWT access token by its jti', async () => {
      const tokens = await codeFlow(rpJwt);
      const claims = decodeJwt(tokens.access_token);
      expect(await client.tokenIntrospection(rpJwt, tokens.access_token)).toMatchObject({ active: true, jti: claims.jti, sub: claims.sub, aud: claims.aud });
      await client.tokenRevocation(rpJwt, tokens.access_token);
      expect(await client.tokenIntrospection(rpJwt, tokens.access_token)).toStrictEqual({ active: false });
    });

    it('carries resource indicators from the authorization request to the audience, narrowed at the token request', async () => {
      const tokens = await codeFlow(rp, [API, JWT_API], API);
      expect((await client.tokenIntrospection(rp, tokens.access_token)).aud).toBe(API);
      // The refresh token keeps the whole grant; this refresh asks for the JWT resource server.
      const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token!, { resource: JWT_API });
      expect(decodeJwt(refreshed.access_token)).toMatchObject({ aud: JWT_API, client_id: 'rp' });
      await expect(client.refreshTokenGrant(rp, refreshed.refresh_token!, { resource: 'https://elsewhere.example/' })).rejects.toMatchObject({ error: 'invalid_target' });
    });

    it('does not let a client introspect or revoke another client\'s token', async () => {
      const tokens = await codeFlow(rp);
      expect(await client.tokenIntrospection(rpJwt, tokens.access_token)).toStrictEqual({ active: false });
      await expect(client.tokenRevocation(rpJwt, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_request' });
      expect((await client.tokenIntrospection(rp, tokens.refresh_token!)).active).toBe(true);
    });

    it('introspects and revokes with private_key_jwt client authentication', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      await createClient(rig.ctx, {
        client_id: 'service-pkjwt', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'reports',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', kid: 'k1' }] },
      });
      const service = await client.discovery(new URL(rig.issuer), 'service-pkjwt', undefined, client.PrivateKeyJwt({ key: privateKey, kid: 'k1' }), insecure);
      const tokens = await client.clientCredentialsGrant(service, { scope: 'reports' });
      expect(await client.tokenIntrospection(service, tokens.access_token)).toMatchObject({ active: true, sub: 'service-pkjwt', scope: 'reports' });
      await client.tokenRevocation(service, tokens.access_token);
      expect(await client.tokenIntrospection(service, tokens.access_token)).toStrictEqual({ active: false });
    });
  });

  describe('oauth4webapi', () => {
    let as: oauth.AuthorizationServer;
    const rp: oauth.Client = { client_id: 'rp' };
    const rpJwt: oauth.Client = { client_id: 'rp-jwt' };
    const native: oauth.Client = { client_id: 'native' };
    const opts = { [oauth.allowInsecureRequests]: true } as const;

    beforeAll(async () => {
      const issuer = new URL(rig.issuer);
      as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...opts }));
    });

    async function codeTokens(who: oauth.Client, auth: oauth.ClientAuth, redirectUri = REDIRECT) {
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: who.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid offline_access', state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }).toString();
      const params = oauth.validateAuthResponse(as, who, await signIn(url.toString(), redirectUri), state);
      const response = await oauth.authorizationCodeGrantRequest(as, who, auth, params, redirectUri, verifier, opts);
      return oauth.processAuthorizationCodeResponse(as, who, response, { requireIdToken: true });
    }
    const introspect = async (who: oauth.Client, auth: oauth.ClientAuth, token: string) =>
      oauth.processIntrospectionResponse(as, who, await oauth.introspectionRequest(as, who, auth, token, opts));
    const revoke = async (who: oauth.Client, auth: oauth.ClientAuth, token: string) =>
      oauth.processRevocationResponse(await oauth.revocationRequest(as, who, auth, token, opts));

    it('introspects and revokes an opaque access token and a refresh token', async () => {
      const auth = oauth.ClientSecretBasic(SECRET);
      const tokens = await codeTokens(rp, auth);
      expect(await introspect(rp, auth, tokens.access_token)).toMatchObject({ active: true, token_type: 'Bearer', client_id: 'rp' });
      expect(await introspect(rp, auth, tokens.refresh_token!)).toMatchObject({ active: true, client_id: 'rp' });
      await revoke(rp, auth, tokens.access_token);
      expect(await introspect(rp, auth, tokens.access_token)).toStrictEqual({ active: false });
      expect((await introspect(rp, auth, tokens.refresh_token!)).active).toBe(true);
      await revoke(rp, auth, tokens.refresh_token!);
      expect(await introspect(rp, auth, tokens.refresh_token!)).toStrictEqual({ active: false });
    });

    it('introspects and revokes a JWT access token', async () => {
      const auth = oauth.ClientSecretPost(SECRET);
      const tokens = await codeTokens(rpJwt, auth);
      const jti = decodeJwt(tokens.access_token).jti;
      expect(await introspect(rpJwt, auth, tokens.access_token)).toMatchObject({ active: true, jti });
      await revoke(rpJwt, auth, tokens.access_token);
      expect(await introspect(rpJwt, auth, tokens.access_token)).toStrictEqual({ active: false });
      // Revoking the access token left the grant alone: the refresh token is still active.
      expect((await introspect(rpJwt, auth, tokens.refresh_token!)).active).toBe(true);
    });

    it('lets a public client revoke its refresh token, which ends its refreshes', async () => {
      const tokens = await codeTokens(native, oauth.None(), 'http://127.0.0.1:41000/callback');
      await revoke(native, oauth.None(), tokens.refresh_token!);
      const response = await oauth.refreshTokenGrantRequest(as, native, oauth.None(), tokens.refresh_token!, opts);
      await expect(oauth.processRefreshTokenResponse(as, native, response)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('refuses introspection to a public client (client_id alone is no authorization)', async () => {
      const response = await oauth.introspectionRequest(as, native, oauth.None(), 'anything', opts);
      expect(response.status).toBe(401);
      await expect(oauth.processIntrospectionResponse(as, native, response)).rejects.toMatchObject({ error: 'invalid_client' });
    });

    it('answers 200 to the revocation of an unknown token', async () => {
      await expect(revoke(rp, oauth.ClientSecretBasic(SECRET), 'unknown-token')).resolves.toBeUndefined();
    });
  });
});
