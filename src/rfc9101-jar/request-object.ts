/**
 * Verifies a request object (a JWT carrying the authorization request) for the client named outside
 * it: signed with a key of the client's jwks or jwks_uri by an algorithm it may use, or unsigned only
 * where the client neither registered a signing algorithm nor must sign; then iss, aud, exp, nbf and
 * client_id. Every failure is invalid_request_object.
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-4 (the request object, iss and aud when signed)
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-6.2 (signature verified with the client's keys)
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-6.3 (client_id inside equals client_id outside)
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-10.5 (require_signed_request_object)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#SignedRequestObject
 * @spec https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata (request_object_signing_alg)
 */
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { OAuthError } from '../errors/oauth-error.js';
import { clientKeySet } from '../rfc7523-jwt-client-auth/client-jwks.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { fapiRequestObjectRules, isFapiClient } from './fapi-request-object-rules.js';
import { requestObjectsMustBeSigned } from './request-object-policy.js';

/** Asymmetric algorithms a client may sign request objects with (also published in discovery). */
export const REQUEST_OBJECT_SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** Seconds of clock difference tolerated on exp and nbf, for clients whose clocks drift a little. */
export const REQUEST_OBJECT_CLOCK_TOLERANCE = 10;

/** Compact JWTs only; a request object larger than this is refused before any parsing. */
export const REQUEST_OBJECT_MAX_LENGTH = 65_536;

export const invalidObject = (description: string, requirement: string, cause?: unknown) =>
  new OAuthError('invalid_request_object', description, { requirement, cause });

export interface VerifiedRequestObject {
  claims: JWTPayload;
  /** True when a signature by the client's key was verified (false for alg none). */
  signed: boolean;
}

function headerAlg(jwt: string): string {
  try {
    const alg = decodeProtectedHeader(jwt).alg;
    if (typeof alg === 'string') return alg;
  } catch (error) {
    throw invalidObject('the request object is not a JWT', 'RFC9101-4-1', error);
  }
  throw invalidObject('the request object has no alg', 'RFC9101-4-1');
}

/** RFC 9101 §6.3: the object must name the client that sent it. */
function checkClientId(claims: JWTPayload, client: ClientRecord): void {
  if (claims.client_id !== client.clientId) throw invalidObject('client_id in the request object must equal the client_id of the request', 'RFC9101-6.3-2');
}

function unsecuredClaims(jwt: string, client: ClientRecord, now: number): JWTPayload {
  // Covers a registered signing alg and every FAPI client (which requires signed objects).
  if (requestObjectsMustBeSigned(client.metadata)) throw invalidObject('this client must sign its request objects', 'RFC9101-10.5-1');
  const parts = jwt.split('.');
  const [, payload, signature] = parts;
  if (signature !== '' || parts.length !== 3) throw invalidObject('an unsigned request object has an empty signature part', 'RFC9101-4-1');
  let claims: JWTPayload;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JWTPayload;
  } catch (error) {
    throw invalidObject('the request object payload is not JSON', 'RFC9101-4-1', error);
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw invalidObject('the request object payload is not a JSON object', 'RFC9101-4-1');
  // Unsigned, iss and aud prove nothing; exp and nbf, when present, still bound its use.
  if (typeof claims.exp === 'number' && claims.exp + REQUEST_OBJECT_CLOCK_TOLERANCE <= now) throw invalidObject('the request object has expired', 'RFC9101-6.3-3');
  if (typeof claims.nbf === 'number' && claims.nbf - REQUEST_OBJECT_CLOCK_TOLERANCE > now) throw invalidObject('the request object is not valid yet', 'RFC9101-6.3-3');
  return claims;
}

async function signedClaims(ctx: Context, jwt: string, alg: string, client: ClientRecord, now: number): Promise<JWTPayload> {
  const registered = client.metadata.request_object_signing_alg as string | undefined;
  const algorithms: string[] = registered ? [registered] : [...REQUEST_OBJECT_SIGNING_ALGS];
  if (!algorithms.includes(alg)) throw invalidObject(`request object alg ${alg} is not allowed for this client`, 'RFC9101-6.2-1');
  try {
    const keys = await clientKeySet(ctx, client);
    const { payload } = await jwtVerify(jwt, keys, {
      algorithms, issuer: client.clientId, audience: ctx.config.issuer, currentDate: new Date(now * 1000), clockTolerance: REQUEST_OBJECT_CLOCK_TOLERANCE,
    });
    return payload;
  } catch (error) {
    // The client's jwks_uri not answering is an outage (503 temporarily_unavailable, client-jwks.ts), not a bad object.
    if (error instanceof OAuthError) throw error;
    if (error instanceof errors.JWTExpired || (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf')) {
      throw invalidObject(`the request object is outside its validity period (${error.message})`, 'RFC9101-6.3-3', error);
    }
    if (error instanceof errors.JWTClaimValidationFailed) throw invalidObject(`the request object ${error.claim} is wrong: iss must be the client_id and aud the issuer`, 'RFC9101-4-2', error);
    throw invalidObject('the request object signature does not verify with the keys of the client', 'RFC9101-6.2-1', error);
  }
}

/** Verifies `jwt` as a request object of `client`; its claims, and whether it was signed. */
export async function verifyRequestObject(ctx: Context, client: ClientRecord, jwt: string): Promise<VerifiedRequestObject> {
  if (jwt.length > REQUEST_OBJECT_MAX_LENGTH) throw invalidObject('the request object is too large', 'RFC9101-4-1');
  const alg = headerAlg(jwt);
  const now = ctx.clock();
  const signed = alg !== 'none';
  const claims = signed ? await signedClaims(ctx, jwt, alg, client, now) : unsecuredClaims(jwt, client, now);
  checkClientId(claims, client);
  if (isFapiClient(client)) fapiRequestObjectRules({ alg, claims, now });
  return { claims, signed };
}
