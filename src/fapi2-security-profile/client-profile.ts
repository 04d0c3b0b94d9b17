/**
 * The FAPI 2.0 client profile: one metadata member, `profile: "fapi2"`, that holds a client to the
 * FAPI 2.0 Security Profile while every other client keeps Castellan's defaults. It works on the
 * metadata before the general validation, so each rule is one default or one refusal:
 * - authentication by private_key_jwt or mTLS (tls_client_auth, self_signed_tls_client_auth), §5.3.2.1;
 * - pushed authorization requests only, §5.3.2.2 item 2;
 * - sender-constrained access tokens, DPoP or mTLS, §5.3.2.2 item 9 (the default follows the
 *   authentication: mTLS clients bind to their certificate, the others to a DPoP key);
 * - PKCE (S256 is the only method Castellan supports), §5.3.2.2 item 5;
 * - authorization codes of at most 60 seconds, §5.3.2.1 item 6;
 * - signatures by PS256, ES256 or EdDSA only, §5.4.1, for client assertions and ID tokens;
 * - client assertions with the issuer alone as `aud` (assertion-policy.ts), §5.3.2.1 item 8.
 * @spec https://openid.net/specs/fapi-security-profile-2_0-final.html#section-5.3.2
 * @spec https://openid.net/specs/fapi-security-profile-2_0-final.html#section-5.4
 */
import { OAuthError } from '../errors/oauth-error.js';
import type { ClientMetadata } from '../storage/stores.js';

export const PROFILE_METADATA = 'profile';
export const FAPI2_PROFILE = 'fapi2';
export const PROFILES = [FAPI2_PROFILE] as const;

/** FAPI 2.0 SP §5.4.1: the algorithms a FAPI client and server may sign with. */
export const FAPI2_SIGNING_ALGS = ['PS256', 'ES256', 'EdDSA'] as const;
export const FAPI2_AUTH_METHODS = ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'] as const;
/** FAPI 2.0 SP §5.3.2.1 item 6: "shall issue authorization codes with a maximum lifetime of 60 seconds". */
export const FAPI2_MAX_CODE_LIFETIME = 60;

const fail = (description: string) => new OAuthError('invalid_client_metadata', `profile fapi2: ${description}`, { requirement: 'FAPI2SP-PROFILE-1' });

/**
 * FAPI 2.0 SP §5.4.1: a FAPI client's DPoP proofs are signed with a FAPI algorithm too. RFC 9449
 * lets other clients use any algorithm of dpop_signing_alg_values_supported.
 */
export function checkFapiProofAlg(metadata: Pick<ClientMetadata, 'profile'>, alg: string): void {
  if (!isFapi2Client(metadata) || (FAPI2_SIGNING_ALGS as readonly string[]).includes(alg)) return;
  throw new OAuthError('invalid_dpop_proof', `a FAPI 2.0 client signs its DPoP proofs with ${FAPI2_SIGNING_ALGS.join(', ')}`, { requirement: 'FAPI2SP-5.4.1-2' });
}

/** True for a client registered under the FAPI 2.0 profile. */
export function isFapi2Client(metadata: Pick<ClientMetadata, 'profile'> | { [name: string]: unknown }): boolean {
  return metadata[PROFILE_METADATA] === FAPI2_PROFILE;
}

/**
 * Applies the client's profile to raw metadata: the profile's defaults filled in, and anything that
 * contradicts it refused with invalid_client_metadata naming the rule. Metadata without a profile
 * comes back unchanged.
 */
export function applyClientProfile(input: Record<string, unknown>): Record<string, unknown> {
  const profile = input[PROFILE_METADATA];
  if (profile === undefined) return input;
  if (profile !== FAPI2_PROFILE) throw new OAuthError('invalid_client_metadata', `profile must be ${PROFILES.join(' or ')}`, { requirement: 'FAPI2SP-PROFILE-1' });
  const method = input.token_endpoint_auth_method;
  if (!(FAPI2_AUTH_METHODS as readonly unknown[]).includes(method)) {
    throw fail(`token_endpoint_auth_method must be ${FAPI2_AUTH_METHODS.join(', ')} (FAPI 2.0 SP 5.3.2.1)`);
  }
  const mtls = method !== 'private_key_jwt';
  const result: Record<string, unknown> = { ...input };
  const require = (name: string, fallback: unknown, allowed: (value: unknown) => boolean, rule: string) => {
    if (result[name] === undefined) result[name] = fallback;
    else if (!allowed(result[name])) throw fail(`${name} ${JSON.stringify(result[name])} is not allowed: ${rule}`);
  };
  require('require_pushed_authorization_requests', true, (v) => v === true, 'authorization requests must be pushed (FAPI 2.0 SP 5.3.2.2)');
  require('require_pkce', true, (v) => v === true, 'PKCE is required (FAPI 2.0 SP 5.3.2.2)');
  require('authorization_code_lifetime', FAPI2_MAX_CODE_LIFETIME, (v) => typeof v === 'number' && v <= FAPI2_MAX_CODE_LIFETIME, `codes live at most ${FAPI2_MAX_CODE_LIFETIME} s (FAPI 2.0 SP 5.3.2.1)`);
  const fapiAlg = (v: unknown) => (FAPI2_SIGNING_ALGS as readonly unknown[]).includes(v);
  if (method === 'private_key_jwt') require('token_endpoint_auth_signing_alg', undefined, fapiAlg, `sign with ${FAPI2_SIGNING_ALGS.join(', ')} (FAPI 2.0 SP 5.4.1)`);
  require('id_token_signed_response_alg', 'ES256', fapiAlg, `sign with ${FAPI2_SIGNING_ALGS.join(', ')} (FAPI 2.0 SP 5.4.1)`);
  // Sender-constrained tokens: at least one binding, by default the one the client authenticates with.
  const dpop = result.dpop_bound_access_tokens;
  const certificate = result.tls_client_certificate_bound_access_tokens;
  if (dpop === false && certificate === false) throw fail('access tokens must be sender-constrained by DPoP or mTLS (FAPI 2.0 SP 5.3.2.2)');
  if (dpop !== true && certificate !== true) {
    if (mtls && certificate === undefined) result.tls_client_certificate_bound_access_tokens = true;
    else if (dpop === undefined) result.dpop_bound_access_tokens = true;
    else result.tls_client_certificate_bound_access_tokens = true;
  }
  return result;
}
