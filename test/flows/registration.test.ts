/**
 * Dynamic registration end to end, driven by openid-client's dynamicClientRegistration against a
 * running Castellan guarded by an initial access token: register, sign in with the code flow,
 * read and update the registration (RFC 7592), delete it, and see every credential and token die.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/users/user-service.js';
import { FormBrowser } from '../support/form-browser.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const INITIAL_TOKEN = 'flow-initial-access-token-0123456789abcdefghij';
const insecure = [client.allowInsecureRequests];

describe(`dynamic registration, management and deletion with openid-client (${backendName})`, () => {
  let rig: RunningServer;
  let config: client.Configuration;
  let registrationUri: string;
  let registrationToken: string;

  const manage = (method: 'GET' | 'PUT' | 'DELETE', body?: unknown, token = registrationToken) =>
    fetch(registrationUri, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  const metadata: Partial<client.ClientMetadata> = {
    client_name: 'Dynamic RP', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], response_types: ['code'],
  };

  beforeAll(async () => {
    rig = await startTestServer({ registrationInitialAccessToken: INITIAL_TOKEN, rateLimitEnabled: false });
    await createUser(rig.ctx, { username: 'alice', password: 'correct horse battery', claims: { name: 'Alice Liddell' } });
  });
  afterAll(() => rig.close());

  async function codeFlow() {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const start = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT, scope: 'openid profile offline_access', state, nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const browser = new FormBrowser();
    await browser.go(start.toString(), {}, REDIRECT);
    const afterLogin = await browser.submit({ username: 'alice', password: 'correct horse battery' }, undefined, REDIRECT);
    const landed = afterLogin.html.includes('id="approve"') ? await browser.submit({}, { name: 'decision', value: 'approve' }, REDIRECT) : afterLogin;
    return client.authorizationCodeGrant(config, new URL(landed.url), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  }

  it('refuses registration without the initial access token', async () => {
    const error = await client.dynamicClientRegistration(new URL(rig.issuer), metadata, undefined, { execute: insecure }).then(() => undefined, (e: { status?: number }) => e);
    expect(error?.status).toBe(401);
    expect(await rig.ctx.stores.clients.list()).toEqual([]);
  });

  it('registers with dynamicClientRegistration (201) and receives its management credentials', async () => {
    config = await client.dynamicClientRegistration(new URL(rig.issuer), metadata, undefined, { initialAccessToken: INITIAL_TOKEN, execute: insecure });
    const registered = config.clientMetadata();
    expect(registered.client_id).toEqual(expect.any(String));
    expect(registered.client_secret).toEqual(expect.any(String));
    expect(registered.client_name).toBe('Dynamic RP');
    registrationUri = registered.registration_client_uri as string;
    registrationToken = registered.registration_access_token as string;
    expect(registrationUri).toBe(`${rig.issuer}/register/${registered.client_id}`);
  });

  it('uses the registered client for the code flow with PKCE and for client credentials', async () => {
    const tokens = await codeFlow();
    expect(tokens.claims()!.aud).toBe(config.clientMetadata().client_id);
    await expect(client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).resolves.toMatchObject({ name: 'Alice Liddell' });
    await expect(client.clientCredentialsGrant(config)).resolves.toHaveProperty('access_token');
  });

  it('reads and updates the registration with the registration access token', async () => {
    const read = await manage('GET');
    expect(read.status).toBe(200);
    const current = (await read.json()) as Record<string, unknown>;
    expect(current).toMatchObject({ client_id: config.clientMetadata().client_id, client_name: 'Dynamic RP' });

    const updated = await manage('PUT', { ...current, client_name: 'Renamed RP' });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ client_name: 'Renamed RP', registration_access_token: registrationToken });
    // The secret and the grants survive an update.
    await expect(client.clientCredentialsGrant(config)).resolves.toHaveProperty('access_token');
  });

  it('deletes the registration (204); its credentials, refresh tokens and access tokens stop working', async () => {
    const tokens = await codeFlow();
    const deleted = await manage('DELETE');
    expect(deleted.status).toBe(204);

    await expect(client.clientCredentialsGrant(config)).rejects.toMatchObject({ status: 401 });
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toBeTruthy();
    await expect(client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck)).rejects.toBeTruthy();
    expect((await manage('GET')).status).toBe(401);
    const events = await rig.ctx.stores.audit.list({ clientId: config.clientMetadata().client_id });
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['client.registered', 'client.updated', 'client.deleted']));
  });
});
