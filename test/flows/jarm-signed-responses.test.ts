/**
 * The signed responses checked by real RP libraries against a running Castellan: openid-client with
 * JARM (useJwtResponseMode), a PS256 ID token and an EdDSA-signed UserInfo answer whose signature it
 * verifies (enableNonRepudiationChecks); oauth4webapi's JARM validator refusing a response replayed
 * to another client, an expired one and a tampered one.
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-4.4 (the client's checks)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse
 */
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { RESPONSE_JWT_LIFETIME } from '../../src/jarm/response-jwt.js';
import { createUser } from '../../src/users/user-service.js';
import { FormBrowser } from '../support/form-browser.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';

const REDIRECT = 'http://127.0.0.1:9998/callback';
const SECRET = 'a-very-long-client-secret-of-at-least-32-characters';
const insecure = { execute: [client.allowInsecureRequests] };
const insecureRequests = { [oauth.allowInsecureRequests]: true } as const;

describe(`JARM and signed UserInfo with RP libraries (${backendName})`, () => {
  let rig: RunningServer;

  beforeAll(async () => {
    rig = await startTestServer();
    const base = { client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic' };
    await createClient(rig.ctx, {
      ...base, client_id: 'jarm-app', authorization_signed_response_alg: 'ES256', id_token_signed_response_alg: 'PS256', userinfo_signed_response_alg: 'EdDSA',
    });
    await createClient(rig.ctx, { ...base, client_id: 'other-app' });
    await createUser(rig.ctx, { username: 'jarm-user', password: 'correct horse battery', claims: { email: 'jarm@example.com', email_verified: true } });
  });
  afterAll(() => rig.close());

  /** Signs in through the pages and returns the URL the browser lands on at the client. */
  async function signIn(start: URL): Promise<URL> {
    const browser = new FormBrowser();
    await browser.go(start.toString(), {}, REDIRECT);
    const afterLogin = await browser.submit({ username: 'jarm-user', password: 'correct horse battery' }, undefined, REDIRECT);
    const landed = afterLogin.html.includes('id="approve"') ? await browser.submit({}, { name: 'decision', value: 'approve' }, REDIRECT) : afterLogin;
    return new URL(landed.url);
  }

  it('openid-client completes the code flow with response_mode=jwt, a PS256 ID token and EdDSA-signed UserInfo', async () => {
    const config = await client.discovery(new URL(rig.issuer), 'jarm-app', {
      authorization_signed_response_alg: 'ES256', id_token_signed_response_alg: 'PS256', userinfo_signed_response_alg: 'EdDSA',
    }, client.ClientSecretBasic(SECRET), insecure);
    client.useJwtResponseMode(config);
    client.enableNonRepudiationChecks(config);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const callback = await signIn(client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT, scope: 'openid email', response_mode: 'jwt', state, nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }));
    expect([...callback.searchParams.keys()]).toEqual(['response']);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const claims = tokens.claims()!;
    expect(claims.aud).toBe('jarm-app');
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, email: 'jarm@example.com', iss: rig.issuer, aud: 'jarm-app' });
  });

  describe('attacks on the JARM response (oauth4webapi validateJwtAuthResponse)', () => {
    let as: oauth.AuthorizationServer;
    const jarmApp: oauth.Client = { client_id: 'jarm-app', authorization_signed_response_alg: 'ES256' };

    beforeAll(async () => {
      const issuer = new URL(rig.issuer);
      as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecureRequests }));
    });

    async function jarmCallback(state: string): Promise<URL> {
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: 'jarm-app', redirect_uri: REDIRECT, response_type: 'code', response_mode: 'query.jwt', scope: 'openid', state,
        code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()), code_challenge_method: 'S256',
      }).toString();
      return signIn(url);
    }

    it('accepts the response for the client it was made for', async () => {
      const params = await oauth.validateJwtAuthResponse(as, jarmApp, await jarmCallback('s-ok'), 's-ok', insecureRequests);
      expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params.get('iss')).toBe(rig.issuer);
    });

    it('MUST NOT let a response made for one client be replayed to another (aud)', async () => {
      const callback = await jarmCallback('s-replay');
      const other: oauth.Client = { client_id: 'other-app', authorization_signed_response_alg: 'ES256' };
      await expect(oauth.validateJwtAuthResponse(as, other, callback, 's-replay', insecureRequests)).rejects.toThrow(/aud/);
    });

    it('MUST NOT be accepted once expired', async () => {
      const callback = await jarmCallback('s-late');
      // The RP's clock runs past exp (plus the library's default tolerance of 30 s).
      const late: oauth.Client = { ...jarmApp, [oauth.clockSkew]: RESPONSE_JWT_LIFETIME + 60 };
      await expect(oauth.validateJwtAuthResponse(as, late, callback, 's-late', insecureRequests)).rejects.toThrow(/exp/);
    });

    it('MUST NOT verify once a claim is changed (another code slipped in)', async () => {
      const callback = await jarmCallback('s-tamper');
      const [header, payload, signature] = callback.searchParams.get('response')!.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, code: 'attacker-code' })).toString('base64url');
      callback.searchParams.set('response', `${header}.${forged}.${signature}`);
      await expect(oauth.validateJwtAuthResponse(as, jarmApp, callback, 's-tamper', insecureRequests)).rejects.toThrow(/signature/i);
    });
  });
});
