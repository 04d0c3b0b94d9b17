/**
 * DPoP at the pushed authorization request endpoint (RFC 9449 §10.1): a proof sent with the push
 * binds the code to its key, and a dpop_jkt parameter must name the same key. Driven once with
 * supertest and once end to end by oauth4webapi (pushedAuthorizationRequest with a DPoP handle).
 */
import * as oauth from 'oauth4webapi';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { dpopKey, dpopProof } from '../support/dpop-proofs.js';
import { FormBrowser } from '../support/form-browser.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';
import { authorizeWithRequestUri, basic, push, pushedParams, pushedRequestUri, redeem, parRig, type ParRig } from './par-fixtures.js';

describe(`RFC 9449 §10.1 DPoP with pushed authorization requests (${backendName})`, () => {
  let rig: ParRig;
  const parUrl = () => `${rig.ctx.config.issuer}/par`;
  const tokenUrl = () => `${rig.ctx.config.issuer}/token`;
  // The server's clock is frozen at the start of the file: proofs are dated by it, however slow the run.
  beforeAll(async () => {
    rig = await parRig();
  });
  afterAll(() => rig.ctx.close());

  it('MUST bind the code to the key of the proof sent with the pushed request', async () => {
    const key = await dpopKey();
    const { params, verifier } = pushedParams('web');
    const requestUri = await pushedRequestUri(rig, 'web', params, { dpop: await dpopProof(key, { htu: parUrl(), iat: rig.ctx.clock() }) });
    const code = (await authorizeWithRequestUri(rig, 'web', requestUri)).searchParams.get('code')!;
    const other = await dpopKey();
    const wrongKey = await redeem(rig, 'web', code, verifier, { dpop: await dpopProof(other, { htu: tokenUrl(), iat: rig.ctx.clock() }) });
    expect(wrongKey.body.error).toBe('invalid_grant');
    const code2 = (await authorizeWithRequestUri(rig, 'web', await pushedRequestUri(rig, 'web', params, { dpop: await dpopProof(key, { htu: parUrl(), iat: rig.ctx.clock() }) }))).searchParams.get('code')!;
    const noProof = await redeem(rig, 'web', code2, verifier);
    expect(noProof.body.error).toBe('invalid_dpop_proof');
    const code3 = (await authorizeWithRequestUri(rig, 'web', await pushedRequestUri(rig, 'web', params, { dpop: await dpopProof(key, { htu: parUrl(), iat: rig.ctx.clock() }) }))).searchParams.get('code')!;
    const bound = await redeem(rig, 'web', code3, verifier, { dpop: await dpopProof(key, { htu: tokenUrl(), iat: rig.ctx.clock() }) });
    expect(bound.status, bound.text).toBe(200);
    expect(bound.body.token_type).toBe('DPoP');
  });

  it('MUST refuse a dpop_jkt that does not match the key of the proof', async () => {
    const key = await dpopKey();
    const other = await dpopKey();
    const response = await push(rig, pushedParams('web', { dpop_jkt: other.jkt }).params, { authorization: basic('web'), dpop: await dpopProof(key, { htu: parUrl(), iat: rig.ctx.clock() }) });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_dpop_proof');
    const matching = await push(rig, pushedParams('web', { dpop_jkt: key.jkt }).params, { authorization: basic('web'), dpop: await dpopProof(key, { htu: parUrl(), iat: rig.ctx.clock() }) });
    expect(matching.status).toBe(201);
  });

  it('MUST check the proof against the PAR endpoint URL', async () => {
    const key = await dpopKey();
    const response = await push(rig, pushedParams('web').params, { authorization: basic('web'), dpop: await dpopProof(key, { htu: tokenUrl(), iat: rig.ctx.clock() }) });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_dpop_proof');
  });
});

describe(`oauth4webapi pushed authorization request with DPoP (${backendName})`, () => {
  let server: RunningServer;
  let as: oauth.AuthorizationServer;
  const client: oauth.Client = { client_id: 'rp' };
  const secret = 'oauth4webapi-par-secret-0123456789abcdef';
  const redirectUri = 'https://rp.example/cb';
  const insecure = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    server = await startTestServer();
    await createClient(server.ctx, { client_id: 'rp', client_secret: secret, redirect_uris: [redirectUri], require_pushed_authorization_requests: true });
    await createUser(server.ctx, { username: 'carol', password: 'a long enough passphrase' });
    const issuer = new URL(server.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
  });
  afterAll(() => server.close());

  it('pushes, signs in through request_uri and redeems a DPoP-bound code', async () => {
    const DPoP = oauth.DPoP(client, await generateKeyPair('ES256'));
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const pushedResponse = await oauth.pushedAuthorizationRequest(as, client, oauth.ClientSecretBasic(secret), {
      redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }, { DPoP, ...insecure });
    const pushed = await oauth.processPushedAuthorizationResponse(as, client, pushedResponse);
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: client.client_id, request_uri: pushed.request_uri }).toString();
    const browser = new FormBrowser();
    await browser.go(url.toString(), {}, redirectUri);
    await browser.submit({ username: 'carol', password: 'a long enough passphrase' }, undefined, redirectUri);
    const landed = await browser.submit({}, { name: 'decision', value: 'approve' }, redirectUri);
    const params = oauth.validateAuthResponse(as, client, new URL(landed.url), state);
    const tokenResponse = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(secret), params, redirectUri, verifier, { DPoP, ...insecure });
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse);
    expect(tokens.token_type).toBe('dpop');
  });
});
