import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateClientMetadata } from '../../src/clients/client-metadata.js';
import { createClient } from '../../src/clients/client-service.js';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { applyClientProfile, FAPI2_MAX_CODE_LIFETIME } from '../../src/fapi2-security-profile/client-profile.js';
import { authenticateWithAssertion, JWT_BEARER } from '../../src/rfc7523-jwt-client-auth/client-assertion.js';
import { PATHS } from '../../src/oidc-discovery/provider-metadata.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const refusal = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return { code: (error as OAuthError).code, description: (error as OAuthError).description };
  }
  return undefined;
};

describe('FAPI 2.0 SP §5.3.2 client profile: metadata', () => {
  let jwks: { keys: JWK[] };
  const base = () => ({ profile: 'fapi2', token_endpoint_auth_method: 'private_key_jwt', jwks, redirect_uris: ['https://rp.example/cb'] });
  beforeAll(async () => {
    jwks = { keys: [await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)] };
  });

  it('MUST fill in PAR, PKCE, 60 s codes, DPoP binding and a FAPI ID token algorithm for a private_key_jwt client', () => {
    const metadata = validateClientMetadata(base(), { production: false });
    expect(metadata).toMatchObject({
      profile: 'fapi2', require_pushed_authorization_requests: true, require_pkce: true,
      authorization_code_lifetime: FAPI2_MAX_CODE_LIFETIME, dpop_bound_access_tokens: true, id_token_signed_response_alg: 'ES256',
    });
  });

  it('MUST default an mTLS client to certificate-bound tokens, and keep a binding the client chose', () => {
    expect(applyClientProfile({ profile: 'fapi2', token_endpoint_auth_method: 'tls_client_auth' })).toMatchObject({ tls_client_certificate_bound_access_tokens: true });
    expect(applyClientProfile({ profile: 'fapi2', token_endpoint_auth_method: 'tls_client_auth', dpop_bound_access_tokens: true }).tls_client_certificate_bound_access_tokens).toBeUndefined();
    expect(applyClientProfile({ profile: 'fapi2', token_endpoint_auth_method: 'private_key_jwt', dpop_bound_access_tokens: false })).toMatchObject({ tls_client_certificate_bound_access_tokens: true });
  });

  it.each([
    [{ token_endpoint_auth_method: 'client_secret_basic' }, 'token_endpoint_auth_method must be private_key_jwt, tls_client_auth, self_signed_tls_client_auth'],
    [{ token_endpoint_auth_method: 'none' }, 'token_endpoint_auth_method must be'],
    [{ require_pushed_authorization_requests: false }, 'authorization requests must be pushed'],
    [{ require_pkce: false }, 'PKCE is required'],
    [{ authorization_code_lifetime: 61 }, 'codes live at most 60 s'],
    [{ token_endpoint_auth_signing_alg: 'RS256' }, 'sign with PS256, ES256, EdDSA'],
    [{ id_token_signed_response_alg: 'RS256' }, 'sign with PS256, ES256, EdDSA'],
    [{ dpop_bound_access_tokens: false, tls_client_certificate_bound_access_tokens: false }, 'must be sender-constrained'],
    [{ profile: 'fapi1' }, 'profile must be fapi2'],
  ])('MUST refuse %j with invalid_client_metadata', (change, message) => {
    const result = refusal(() => validateClientMetadata({ ...base(), ...change }, { production: false }));
    expect(result?.code).toBe('invalid_client_metadata');
    expect(result?.description).toContain(message);
  });

  it('leaves a client without a profile exactly as before', () => {
    const input = { token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://rp.example/cb'] };
    expect(applyClientProfile(input)).toBe(input);
    expect(validateClientMetadata(input, { production: false })).not.toHaveProperty('require_pushed_authorization_requests');
  });
});

describe(`FAPI 2.0 SP §5.3.2.1 client assertions of a FAPI client (${backendName})`, () => {
  let ctx: TestContext;
  let es: CryptoKey;
  let rs: CryptoKey;
  beforeAll(async () => {
    ctx = await createTestContext();
    const esPair = await generateKeyPair('ES256', { extractable: true });
    const rsPair = await generateKeyPair('RS256', { extractable: true });
    es = esPair.privateKey;
    rs = rsPair.privateKey;
    const jwks = { keys: [{ ...(await exportJWK(esPair.publicKey)), kid: 'es' }, { ...(await exportJWK(rsPair.publicKey)), kid: 'rs' }] };
    await createClient(ctx, { client_id: 'fapi', profile: 'fapi2', token_endpoint_auth_method: 'private_key_jwt', jwks, redirect_uris: ['https://rp.example/cb'] });
    await createClient(ctx, { client_id: 'plain', token_endpoint_auth_method: 'private_key_jwt', jwks, redirect_uris: ['https://rp.example/cb'] });
  });
  afterAll(() => ctx.close());

  const assertion = (clientId: string, options: { aud?: string; alg?: 'ES256' | 'RS256' } = {}) => {
    const now = ctx.clock();
    const alg = options.alg ?? 'ES256';
    return new SignJWT({ iss: clientId, sub: clientId, aud: options.aud ?? ctx.config.issuer, iat: now, exp: now + 60, jti: randomUUID() })
      .setProtectedHeader({ alg, kid: alg === 'ES256' ? 'es' : 'rs' }).sign(alg === 'ES256' ? es : rs);
  };
  const authenticate = async (jwt: Promise<string>) => authenticateWithAssertion(ctx, { assertionType: JWT_BEARER, assertion: await jwt }).then((client) => client.clientId, (error: OAuthError) => error.code);

  it('MUST accept only the issuer as aud from a FAPI client, while other clients may still name the token endpoint', async () => {
    expect(await authenticate(assertion('fapi'))).toBe('fapi');
    expect(await authenticate(assertion('fapi', { aud: ctx.config.issuer + PATHS.token }))).toBe('invalid_client');
    expect(await authenticate(assertion('plain', { aud: ctx.config.issuer + PATHS.token }))).toBe('plain');
  });

  it('MUST refuse an RS256 client assertion from a FAPI client (FAPI 2.0 SP §5.4.1), and accept it from others', async () => {
    expect(await authenticate(assertion('fapi', { alg: 'RS256' }))).toBe('invalid_client');
    expect(await authenticate(assertion('plain', { alg: 'RS256' }))).toBe('plain');
  });
});
