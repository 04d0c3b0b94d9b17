/**
 * DPoP (RFC 9449) driven by the certified RP library openid-client against a running Castellan that
 * requires nonces: the library's own proofs, its own nonce retries, a code bound with dpop_jkt, the
 * token response it checks for token_type DPoP, UserInfo with the DPoP scheme, and refresh.
 */
import { calculateJwkThumbprint, exportJWK } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { createUser } from '../../src/users/user-service.js';
import { FormBrowser } from '../support/form-browser.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';

const REDIRECT = 'http://127.0.0.1:9999/callback';
const insecure = { execute: [client.allowInsecureRequests] };

describe(`openid-client DPoP flow (${backendName})`, () => {
  let rig: RunningServer;
  let config: client.Configuration;

  beforeAll(async () => {
    rig = await startTestServer({ dpopNonceRequired: true });
    await createClient(rig.ctx, {
      client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], dpop_bound_access_tokens: true,
    });
    await createUser(rig.ctx, { username: 'alice', password: 'correct horse battery', claims: { name: 'Alice Liddell' } });
    config = await client.discovery(new URL(rig.issuer), 'spa', undefined, client.None(), insecure);
  });
  afterAll(() => rig.close());

  it('MUST bind the code, the tokens and UserInfo to the client\'s key, through the library\'s own proofs and nonce retries', async () => {
    expect(config.serverMetadata().dpop_signing_alg_values_supported).toContain('ES256');
    const keyPair = await client.randomDPoPKeyPair('ES256');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
    const DPoP = client.getDPoPHandle(config, keyPair);

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const start = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT, scope: 'openid profile offline_access', state, dpop_jkt: jkt,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const browser = new FormBrowser();
    await browser.go(start.toString(), {}, REDIRECT);
    const afterLogin = await browser.submit({ username: 'alice', password: 'correct horse battery' }, undefined, REDIRECT);
    const landed = afterLogin.html.includes('id="approve"') ? await browser.submit({}, { name: 'decision', value: 'approve' }, REDIRECT) : afterLogin;

    const tokens = await client.authorizationCodeGrant(config, new URL(landed.url), { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    const stored = await rig.ctx.stores.accessTokens.find(hashHandle(tokens.access_token));
    expect(stored?.dpopJkt).toBe(jkt);

    const sub = tokens.claims()!.sub;
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP });
    expect(userinfo).toMatchObject({ sub, name: 'Alice Liddell' });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
    expect(refreshed.token_type).toBe('dpop');
    expect((await rig.ctx.stores.refreshTokens.find(hashHandle(refreshed.refresh_token!)))?.dpopJkt).toBe(jkt);

    // Another key (a thief's) gets nothing for the rotated refresh token.
    const thief = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!, undefined, { DPoP: thief })).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
