/**
 * A FAPI 2.0 client end to end, driven by oauth4webapi: private_key_jwt (ES256), PAR with DPoP,
 * sign-in through the request_uri, a DPoP-bound code redeemed for DPoP-bound tokens, UserInfo with
 * the proof. And what the profile refuses on the way: a plain /authorize request, a code older
 * than 60 seconds, and DPoP proofs signed with RS256.
 */
import * as oauth from 'oauth4webapi';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { accessTokenHash } from '../../src/rfc9449-dpop/dpop-proof.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { FormBrowser } from '../support/form-browser.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';

const REDIRECT = 'https://bank.example/cb';
const PASSWORD = 'a long enough passphrase';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

describe(`FAPI 2.0 client profile end to end with oauth4webapi (${backendName})`, () => {
  let server: RunningServer;
  let as: oauth.AuthorizationServer;
  let clientAuth: oauth.ClientAuth;
  const client: oauth.Client = { client_id: 'fapi-rp' };

  beforeAll(async () => {
    server = await startTestServer();
    const keys = await generateKeyPair('ES256', { extractable: true });
    clientAuth = oauth.PrivateKeyJwt({ key: keys.privateKey, kid: 'rp-1' });
    const jwks = { keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'rp-1', alg: 'ES256' }] };
    await createClient(server.ctx, { client_id: 'fapi-rp', profile: 'fapi2', token_endpoint_auth_method: 'private_key_jwt', jwks, redirect_uris: [REDIRECT], scope: 'openid profile offline_access', grant_types: ['authorization_code', 'refresh_token'] });
    await createUser(server.ctx, { username: 'dana', password: PASSWORD });
    const issuer = new URL(server.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
  });
  afterAll(() => server.close());

  /** PAR with a DPoP proof, then the browser through the request_uri; the code and what redeeming it needs. */
  async function codeThroughPar(DPoP: oauth.DPoPHandle, scope = 'openid profile') {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const pushedResponse = await oauth.pushedAuthorizationRequest(as, client, clientAuth, {
      redirect_uri: REDIRECT, response_type: 'code', scope, state, nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }, { DPoP, ...insecure });
    const pushed = await oauth.processPushedAuthorizationResponse(as, client, pushedResponse);
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: client.client_id, request_uri: pushed.request_uri }).toString();
    const browser = new FormBrowser();
    await browser.go(url.toString(), {}, REDIRECT);
    let landed = await browser.submit({ username: 'dana', password: PASSWORD }, undefined, REDIRECT);
    // The consent page comes only the first time: the user's consent is remembered.
    if (!landed.url.startsWith(REDIRECT)) landed = await browser.submit({}, { name: 'decision', value: 'approve' }, REDIRECT);
    return { params: oauth.validateAuthResponse(as, client, new URL(landed.url), state), verifier, nonce };
  }

  it('MUST complete PAR, private_key_jwt and DPoP-bound tokens, and serve UserInfo to the DPoP-bound token', async () => {
    const DPoP = oauth.DPoP(client, await generateKeyPair('ES256'));
    const { params, verifier, nonce } = await codeThroughPar(DPoP);
    const tokenResponse = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT, verifier, { DPoP, ...insecure });
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, { expectedNonce: nonce, requireIdToken: true });
    expect(tokens.token_type).toBe('dpop');
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0], 'base64url').toString());
    expect(header.alg).toBe('ES256');
    const userinfo = await oauth.userInfoRequest(as, client, tokens.access_token, { DPoP, ...insecure });
    expect(userinfo.status).toBe(200);
  });

  it('MUST refuse a plain authorization request from the FAPI client (PAR required)', async () => {
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 's',
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()), code_challenge_method: 'S256',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/push/i);
  });

  it('MUST refuse a DPoP proof signed with RS256 from the FAPI client, at the token endpoint and at UserInfo (FAPI 2.0 SP §5.4.1)', async () => {
    const rsa = await generateKeyPair('PS256', { extractable: true });
    const { params, verifier } = await codeThroughPar(oauth.DPoP(client, rsa));
    const refused = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT, verifier, { DPoP: oauth.DPoP(client, await generateKeyPair('RS256')), ...insecure });
    expect(await refused.json()).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringMatching(/PS256, ES256, EdDSA/) });

    const issued = await codeThroughPar(oauth.DPoP(client, rsa));
    const tokenResponse = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, issued.params, REDIRECT, issued.verifier, { DPoP: oauth.DPoP(client, rsa), ...insecure });
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, { expectedNonce: issued.nonce, requireIdToken: true });
    // The same RSA key (so the same thumbprint the token is bound to), signing with RS256 instead of PS256.
    const privateJwk = await exportJWK(rsa.privateKey);
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
    const proof = await new SignJWT({ jti: 'rs256-at-userinfo', htm: 'GET', htu: as.userinfo_endpoint, iat: server.ctx.clock(), ath: accessTokenHash(tokens.access_token) })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'RS256', jwk: publicJwk })
      .sign(await importJWK({ ...privateJwk, alg: 'RS256' }, 'RS256'));
    const userinfo = await fetch(as.userinfo_endpoint!, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: proof } });
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
  });

  it('MUST NOT rotate a FAPI client\'s refresh token: it stays valid, and each refresh with any DPoP key gets a bound access token (FAPI 2.0 SP §5.3.2.1)', async () => {
    const DPoP = oauth.DPoP(client, await generateKeyPair('ES256'));
    const { params, verifier, nonce } = await codeThroughPar(DPoP, 'openid profile offline_access');
    const tokenResponse = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT, verifier, { DPoP, ...insecure });
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, { expectedNonce: nonce, requireIdToken: true });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    // A client that lost an answer retries with the same refresh token, and a new DPoP key, much later: it must succeed.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      server.ctx.clock.advance(30);
      const retrying: oauth.Client = { ...client, [oauth.clockSkew]: 30 * (attempt + 1) };
      const another = oauth.DPoP(retrying, await generateKeyPair('ES256'));
      const response = await oauth.refreshTokenGrantRequest(as, retrying, clientAuth, tokens.refresh_token!, { DPoP: another, ...insecure });
      const refreshed = await oauth.processRefreshTokenResponse(as, retrying, response);
      expect(refreshed.refresh_token).toBeUndefined();
      expect(refreshed.token_type).toBe('dpop');
      expect((await oauth.userInfoRequest(as, retrying, refreshed.access_token, { DPoP: another, ...insecure })).status).toBe(200);
    }
  });

  it('MUST refuse a code older than 60 seconds (FAPI 2.0 SP §5.3.2.1)', async () => {
    const dpopKeys = await generateKeyPair('ES256');
    const { params, verifier } = await codeThroughPar(oauth.DPoP(client, dpopKeys));
    server.ctx.clock.advance(61);
    // The client's clock moves with the server's (same DPoP key), so only the code's age can fail.
    const later: oauth.Client = { ...client, [oauth.clockSkew]: 61 };
    const tokenResponse = await oauth.authorizationCodeGrantRequest(as, later, clientAuth, params, REDIRECT, verifier, { DPoP: oauth.DPoP(later, dpopKeys), ...insecure });
    const body = await tokenResponse.json();
    expect(body.error).toBe('invalid_grant');
  });

});
