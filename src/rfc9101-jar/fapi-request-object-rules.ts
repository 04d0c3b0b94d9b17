/**
 * The stricter rules FAPI 2.0 Message Signing sets for request objects, checked after the RFC 9101
 * verification for clients of the FAPI 2.0 profile: a FAPI algorithm, iss, aud, exp and nbf all
 * present, at most 60 minutes between nbf and exp, and nbf at most 60 minutes old. The profile is
 * a client's `profile: "fapi2"` marker together with `require_signed_request_object`.
 * @spec https://openid.net/specs/fapi-2_0-message-signing.html#section-5.3.2 (request object rules)
 * @spec https://openid.net/specs/fapi-2_0-security-profile.html#section-5.4 (PS256, ES256, EdDSA)
 */
import type { JWTPayload } from 'jose';
import { OAuthError } from '../errors/oauth-error.js';
import type { ClientRecord } from '../storage/stores.js';
import { FAPI2_SIGNING_ALGS, isFapi2Client } from '../fapi2-security-profile/client-profile.js';
import { requiresSignedRequestObject } from './request-object-policy.js';

/** FAPI 2.0 Message Signing: 60 minutes, both for the lifetime and for how old nbf may be. */
export const FAPI_MAX_WINDOW = 3_600;

export function isFapiClient(client: ClientRecord): boolean {
  return requiresSignedRequestObject(client.metadata) && isFapi2Client(client.metadata);
}

const refuse = (description: string) => new OAuthError('invalid_request_object', description, { requirement: 'FAPI2MS-5.3.2-1' });

/** Throws invalid_request_object when a verified request object breaks a FAPI 2.0 rule. */
export function fapiRequestObjectRules(object: { alg: string; claims: JWTPayload; now: number }): void {
  const { alg, claims, now } = object;
  if (!(FAPI2_SIGNING_ALGS as readonly string[]).includes(alg)) throw refuse(`request objects of this client must be signed with ${FAPI2_SIGNING_ALGS.join(', ')}`);
  for (const claim of ['iss', 'aud', 'exp', 'nbf'] as const) {
    if (claims[claim] === undefined) throw refuse(`the request object must contain ${claim}`);
  }
  const { exp, nbf } = claims as { exp: unknown; nbf: unknown };
  if (typeof exp !== 'number' || typeof nbf !== 'number') throw refuse('exp and nbf must be NumericDate values');
  if (exp - nbf > FAPI_MAX_WINDOW) throw refuse('the request object may be valid for at most 60 minutes (exp - nbf)');
  if (nbf < now - FAPI_MAX_WINDOW) throw refuse('the request object nbf must be at most 60 minutes in the past');
}
