/**
 * An example relying party's test suite: openid-client against a real Castellan, with the test
 * control API giving each test a clean state and the situations a relying party must handle:
 * expired access tokens, a token endpoint that is briefly unavailable, and an ID token it must reject.
 * Run it with `npm run example:rp` (it builds Castellan first).
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { controls, startCastellan, type Castellan } from './castellan-process.js';
import { signIn } from './sign-in.js';

// The seeded client and user (seed.json).
const CLIENT_ID = 'example-rp';
const CLIENT_SECRET = 'example-rp-secret-for-tests-only-0123456789abcdef';
const REDIRECT_URI = 'http://127.0.0.1:8080/callback';
const USER = { username: 'tester', password: 'a long passphrase for the example suite' };

let castellan: Castellan;
let control: ReturnType<typeof controls>;
let rp: client.Configuration;

beforeAll(async () => {
  castellan = await startCastellan();
  control = controls(castellan);
  // http:// is fine for a server on loopback in a test; enableNonRepudiationChecks makes
  // openid-client verify ID token signatures too (by default it relies on TLS for that).
  rp = await client.discovery(new URL(castellan.issuer), CLIENT_ID, CLIENT_SECRET, client.ClientSecretBasic(CLIENT_SECRET), {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  });
});

afterAll(async () => castellan?.stop());

// Every test starts from the seed: no sessions, grants, tokens, forced failures or clock offset.
beforeEach(async () => {
  await control.reset();
});

/** The relying party's sign-in: authorization request, the user's login and consent, code redemption. */
async function startSignIn() {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT_URI, scope: 'openid profile email offline_access', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const callback = await signIn(url, REDIRECT_URI, USER);
  return { redeem: () => client.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }) };
}

/**
 * The retry a relying party should have: temporarily_unavailable (503) is worth repeating after
 * Retry-After. openid-client reports a 5xx as a ClientError whose cause is the Response.
 */
function unavailable(error: unknown): Response | undefined {
  const response = error instanceof client.ClientError && error.cause instanceof Response ? error.cause : undefined;
  return response?.status === 503 ? response : undefined;
}

async function withRetry<T>(attempt: () => Promise<T>, retries = 2): Promise<{ result: T; retried: number }> {
  for (let retried = 0; ; retried++) {
    try {
      return { result: await attempt(), retried };
    } catch (error) {
      const response = unavailable(error);
      if (!response || retried >= retries) throw error;
      const seconds = Number(response.headers.get('retry-after') ?? '1');
      await new Promise((done) => setTimeout(done, Math.min(seconds, 5) * 1000));
    }
  }
}

describe('an openid-client relying party against Castellan', () => {
  it('signs the user in with the authorization code flow and reads userinfo', async () => {
    const tokens = await (await startSignIn()).redeem();
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(castellan.issuer);
    const userinfo = await client.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(userinfo.email).toBe('tester@example.com');
  });

  it('starts each test from the seed: tokens from before a reset are gone', async () => {
    const tokens = await (await startSignIn()).redeem();
    await control.reset();
    await expect(client.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refreshes when the access token has expired (the clock moved past its lifetime)', async () => {
    const tokens = await (await startSignIn()).redeem();
    const sub = tokens.claims()!.sub;
    await control.advanceClock(tokens.expires_in! + 60);
    // The resource server (here userinfo) now refuses the token as expired...
    await expect(client.fetchUserInfo(rp, tokens.access_token, sub)).rejects.toBeInstanceOf(client.WWWAuthenticateChallengeError);
    // ...and the relying party recovers with its refresh token.
    const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect((await client.fetchUserInfo(rp, refreshed.access_token, sub)).sub).toBe(sub);
  });

  it('retries the token request when the server is temporarily unavailable', async () => {
    const signIn = await startSignIn();
    await control.fail(CLIENT_ID, 'temporarily_unavailable', 1);
    const { result, retried } = await withRetry(signIn.redeem);
    expect(retried).toBe(1);
    expect(result.access_token).toBeTruthy();
  });

  it('gives up after its retries when the server stays unavailable', async () => {
    const signIn = await startSignIn();
    await control.fail(CLIENT_ID, 'temporarily_unavailable', 3);
    const error = await withRetry(signIn.redeem, 2).catch((caught: unknown) => caught);
    // The answer is RFC 6749 §5.2 JSON: error temporarily_unavailable with a Retry-After.
    const response = unavailable(error)!;
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('rejects an ID token whose signature does not verify', async () => {
    const signIn = await startSignIn();
    await control.fail(CLIENT_ID, 'id_token_bad_signature');
    const error = await signIn.redeem().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(client.ClientError);
    expect((error as client.ClientError).code).toBe('OAUTH_INVALID_RESPONSE');
    expect(String((error as Error).cause)).toMatch(/JWT signature verification failed/);
  });

  it('rejects an ID token with the wrong nonce', async () => {
    const signIn = await startSignIn();
    await control.fail(CLIENT_ID, 'id_token_wrong_nonce');
    const error = await signIn.redeem().catch((caught: unknown) => caught);
    expect((error as client.ClientError).code).toBe('OAUTH_JWT_CLAIM_COMPARISON_FAILED');
    expect(String((error as Error).cause)).toMatch(/"nonce" claim/);
  });

  it('verifies ID tokens signed with a rotated key', async () => {
    await control.rotateKeys();
    const tokens = await (await startSignIn()).redeem();
    expect(tokens.claims()!.aud).toBe(CLIENT_ID);
  });
});
