/**
 * Mints the OpenID Connect ID token for a grant: protocol claims, at_hash for the access token issued
 * beside it, and only the user claims the claims parameter asked for in the ID token.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#CodeIDToken (at_hash)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims (scope claims go to userinfo when an access token is issued)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#ClaimsParameter
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCSupport (sid in ID tokens)
 */
import { tokenLifetime } from '../clients/token-lifetimes.js';
import { hash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { Context } from '../server/context.js';
import type { ClientRecord, GrantRecord, UserProfile } from '../storage/stores.js';
import { isSupportedAlg, type Alg } from '../tokens/keystore.js';
import { claimNamesForScope, SCOPE_CLAIMS, userClaims } from './claims.js';

export interface IdTokenRequest {
  grant: GrantRecord;
  client: ClientRecord;
  user: UserProfile;
  /** The authorization request's nonce; omitted on refresh (OIDC Core §12.2). */
  nonce?: string | null;
  /** The access token issued in the same response, for at_hash. */
  accessToken?: string;
}

const USER_CLAIM_NAMES = new Set(Object.values(SCOPE_CLAIMS).flat());

/** The client's registered id_token_signed_response_alg, else the server default. */
export function idTokenAlg(ctx: Context, client: ClientRecord): Alg {
  const registered = client.metadata.id_token_signed_response_alg;
  return isSupportedAlg(registered) ? registered : ctx.config.signingAlg;
}

/**
 * OIDC Core §3.1.3.6: left-most half of the hash (the one of the JWS alg) of the token's ASCII octets.
 * EdDSA names no hash: our EdDSA keys are Ed25519, whose hash is SHA-512 (as RPs such as
 * oauth4webapi compute it).
 */
export function accessTokenHash(accessToken: string, alg: string): string {
  const bits = alg.endsWith('512') || alg === 'EdDSA' ? 512 : alg.endsWith('384') ? 384 : 256;
  // Our access tokens are base64url or JWS compact: ASCII, so UTF-8 encoding gives the same octets.
  const digest = hash(`sha${bits}`, accessToken, 'buffer');
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/**
 * Back-Channel Logout §2.1: sid names the OP session a later logout token ends, so it goes to the
 * clients that registered a backchannel_logout_uri (the only ones a logout token reaches). Other
 * clients have no use for it, and an ID token carries no more than its reader needs.
 */
export const carriesSid = (client: ClientRecord): boolean => typeof client.metadata.backchannel_logout_uri === 'string';

/** Claim names the claims parameter requested for the ID token, limited to user claims we hold. */
export function requestedIdTokenClaims(grant: GrantRecord): string[] {
  const requested = grant.claims?.id_token;
  if (!requested || typeof requested !== 'object' || Array.isArray(requested)) return [];
  return Object.keys(requested).filter((name) => USER_CLAIM_NAMES.has(name));
}

export async function mintIdToken(ctx: Context, request: IdTokenRequest): Promise<string> {
  const { grant, client, user } = request;
  const now = ctx.clock();
  const alg = idTokenAlg(ctx, client);
  const names = new Set(requestedIdTokenClaims(grant));
  // OIDC Core §5.4: with an access token the scope claims are served by userinfo, not the ID token.
  if (request.accessToken === undefined) for (const name of claimNamesForScope(grant.scope)) names.add(name);
  const payload: JWTPayload = {
    ...userClaims(user, names),
    iss: ctx.config.issuer,
    sub: user.id,
    aud: client.clientId,
    exp: now + tokenLifetime(ctx.config, client.metadata, 'id_token'),
    iat: now,
    azp: client.clientId,
  };
  if (grant.authTime !== null) payload.auth_time = grant.authTime;
  if (request.nonce) payload.nonce = request.nonce;
  if (grant.acr) payload.acr = grant.acr;
  if (grant.amr && grant.amr.length > 0) payload.amr = grant.amr;
  if (grant.sid && carriesSid(client)) payload.sid = grant.sid;
  if (request.accessToken !== undefined) payload.at_hash = accessTokenHash(request.accessToken, alg);
  return ctx.keystore.sign(payload, { alg });
}
