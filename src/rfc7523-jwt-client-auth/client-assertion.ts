/**
 * Client authentication with a signed JWT: client_secret_jwt (HMAC with the client secret) and
 * private_key_jwt (the client's registered public keys). One client lookup, single-use jti.
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-2.2 (client_assertion_type jwt-bearer)
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-3 (iss, sub, aud, exp, jti)
 * @spec https://www.rfc-editor.org/rfc/rfc7521#section-4.2 (client_id, if sent, must match)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication
 * @spec https://datatracker.ietf.org/doc/draft-ietf-oauth-rfc7523bis/ (aud: the issuer alone, after the 2025 audience-injection findings)
 */
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { OAuthError } from '../errors/oauth-error.js';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { hashHandle } from '../tokens/handles.js';
import { clientKeySet } from './client-jwks.js';
import { clientSecretKeys } from './client-secret-keys.js';
import { FAPI2_SIGNING_ALGS, isFapi2Client } from '../fapi2-security-profile/client-profile.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'];
export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Longest accepted assertion lifetime; it also bounds how long a jti must be remembered. */
export const MAX_ASSERTION_LIFETIME = 600;
/** Tolerated clock difference for an iat slightly in the future. */
const IAT_SKEW = 60;
/** Tolerated clock difference for exp and nbf: relying parties' clocks drift by seconds. */
export const CLOCK_TOLERANCE = 30;

export interface AssertionCredentials {
  assertionType: string;
  assertion: string;
  /** client_id sent beside the assertion, if any. */
  clientId?: string;
}

const fail = (description: string, requirement: string, cause?: unknown) => new OAuthError('invalid_client', description, { requirement, cause });

/** The HMAC key (client_secret_jwt) or the client's registered public keys (private_key_jwt). */
async function verificationKey(ctx: Context, client: ClientRecord): Promise<JWTVerifyGetKey> {
  if (client.metadata.token_endpoint_auth_method === 'private_key_jwt') return clientKeySet(ctx, client);
  const keys = clientSecretKeys(ctx, client);
  if (!keys) throw fail('the client has no secret for client_secret_jwt', 'RFC7523-3-7');
  return keys;
}

/** The issuer alone as aud: server-wide (STRICT_ASSERTION_AUDIENCE) or for a FAPI 2.0 client (SP §5.3.2.1 item 8). */
const strictAudience = (ctx: Context, client: ClientRecord) => ctx.config.strictAssertionAudience || isFapi2Client(client.metadata);

/** Accepted aud values: the issuer, and unless strict, the token endpoint URL (RFC 7523 §3 item 3). */
function acceptedAudience(ctx: Context, client: ClientRecord): string[] {
  const issuer = ctx.config.issuer;
  return strictAudience(ctx, client) ? [issuer] : [issuer, issuer + PATHS.token];
}

/** Verifies the assertion and returns the client it authenticates; every failure is invalid_client. */
export async function authenticateWithAssertion(ctx: Context, credentials: AssertionCredentials): Promise<ClientRecord> {
  if (credentials.assertionType !== JWT_BEARER) throw fail('client_assertion_type is not supported', 'RFC7523-2.2-1');
  let alg: string | undefined;
  let unverified: JWTPayload;
  try {
    alg = decodeProtectedHeader(credentials.assertion).alg;
    unverified = decodeJwt(credentials.assertion);
  } catch (error) {
    throw fail('client_assertion is not a JWT', 'RFC7523-3-8', error);
  }
  // RFC 7523 §3: for client authentication sub (and here iss) is the client_id.
  const clientId = unverified.sub;
  if (typeof clientId !== 'string' || unverified.iss !== clientId) throw fail('client_assertion iss and sub must both be the client_id', 'RFC7523-3-1');
  if (credentials.clientId !== undefined && credentials.clientId !== clientId) throw fail('client_id does not match the client_assertion', 'RFC7523-3-9');

  const client = await ctx.stores.clients.find(clientId);
  if (!client) throw fail('client authentication failed', 'RFC7523-3-1', 'unknown_client');
  const method = client.metadata.token_endpoint_auth_method;
  if (method !== 'client_secret_jwt' && method !== 'private_key_jwt') throw fail('the client must authenticate with its registered method', 'RFC6749-2.3-2');
  // The method fixes the algorithm family, so an HMAC made with a public key (or none) never passes.
  const family = method === 'client_secret_jwt' ? HMAC_ALGS : ASYMMETRIC_ALGS;
  const registered = client.metadata.token_endpoint_auth_signing_alg;
  // A FAPI 2.0 client signs with PS256, ES256 or EdDSA only (SP §5.4.1), whatever it registered.
  const permitted = isFapi2Client(client.metadata) ? family.filter((value) => (FAPI2_SIGNING_ALGS as readonly string[]).includes(value)) : family;
  const algorithms = registered ? permitted.filter((value) => value === registered) : permitted;
  if (!alg || !algorithms.includes(alg)) throw fail(`client_assertion alg ${String(alg)} is not allowed for ${method}`, isFapi2Client(client.metadata) ? 'FAPI2SP-5.4.1-1' : 'RFC7523-3-8');

  const now = ctx.clock();
  let payload: JWTPayload;
  try {
    const key = await verificationKey(ctx, client);
    const options = { algorithms, issuer: clientId, subject: clientId, audience: acceptedAudience(ctx, client), requiredClaims: ['exp', 'jti'], currentDate: new Date(now * 1000), clockTolerance: CLOCK_TOLERANCE };
    ({ payload } = await jwtVerify(credentials.assertion, key, options));
  } catch (error) {
    if (error instanceof OAuthError) throw error;
    throw fail('client_assertion is invalid', 'RFC7523-3-7', error);
  }
  checkClaimPolicy(ctx, client, payload, now);
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw fail('client_assertion jti is malformed', 'RFC7523-3-6');
  // RFC 7523 §3 item 7: a jti is accepted once while the assertion could still be valid (tolerance included).
  if (!(await ctx.stores.replay.remember(hashHandle(`${clientId}:${jti}`), (payload.exp as number) + CLOCK_TOLERANCE, now))) {
    throw fail('client_assertion was already used', 'RFC7523-3-6');
  }
  return client;
}

/** Policy beyond signature and registered claims: strict audience, bounded lifetime. */
function checkClaimPolicy(ctx: Context, client: ClientRecord, payload: JWTPayload, now: number): void {
  if (strictAudience(ctx, client)) {
    const aud = Array.isArray(payload.aud) && payload.aud.length === 1 ? payload.aud[0] : payload.aud;
    if (aud !== ctx.config.issuer) throw fail('client_assertion aud must be exactly the issuer', isFapi2Client(client.metadata) ? 'FAPI2SP-5.3.2.1-8' : 'RFC7523-3-10');
  }
  const exp = payload.exp as number;
  if (payload.iat !== undefined && payload.iat > now + IAT_SKEW) throw fail('client_assertion iat is in the future', 'RFC7523-3-5');
  if (exp - (payload.iat ?? now) > MAX_ASSERTION_LIFETIME) throw fail('client_assertion lives too long', 'RFC7523-3-5');
}
