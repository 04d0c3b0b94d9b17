/**
 * The JARM response document: the authorization response parameters (code and state, or error,
 * error_description and state) as claims of a JWT signed for the client, with iss, aud and a short
 * exp, delivered as the single parameter `response`.
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-2.1 (iss, aud, exp and the response parameters)
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-2.2 (error responses)
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-2.3 (the JWT travels as `response`)
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-3 (authorization_signed_response_alg, default RS256)
 * @spec https://www.rfc-editor.org/rfc/rfc9207#section-2.4 (with JARM, the iss claim is the issuer identification)
 */
import type { JWTPayload } from 'jose';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { isSupportedAlg, type Alg } from '../tokens/keystore.js';

/** §2.1 RECOMMENDS at most 10 minutes; the browser delivers the response at once, so 5 are plenty. */
export const RESPONSE_JWT_LIFETIME = 300;

/** The name of the one parameter that carries the JWT (§2.3.1 - §2.3.3). */
export const RESPONSE_PARAMETER = 'response';

/** §3: the alg of a client that registered no authorization_signed_response_alg. */
const DEFAULT_RESPONSE_ALG: Alg = 'RS256';

/** §3: the client's authorization_signed_response_alg, RS256 when it registered none. */
export function authorizationResponseAlg(client: Pick<ClientRecord, 'metadata'>): Alg {
  const registered = client.metadata.authorization_signed_response_alg;
  return isSupportedAlg(registered) ? registered : DEFAULT_RESPONSE_ALG;
}

/**
 * §2.1: the claims. The parameters already hold `iss` (RFC 9207), which is the JWT's iss; aud is
 * the client, so a response captured for one client is refused by any other.
 */
export function responseClaims(ctx: Context, clientId: string, params: [string, string][]): JWTPayload {
  return { ...Object.fromEntries(params), iss: ctx.config.issuer, aud: clientId, exp: ctx.clock() + RESPONSE_JWT_LIFETIME };
}

/**
 * The parameters to deliver in place of `params`: `response`, the JWT signed for the client
 * `clientId` with `alg`, which the response target carries from the client read when the
 * redirect_uri was proven (JARM's default RS256 for an interaction stored before it was carried).
 */
export async function jwtResponseParameters(ctx: Context, target: { clientId: string; signingAlg?: Alg }, params: [string, string][]): Promise<[string, string][]> {
  const jwt = await ctx.keystore.sign(responseClaims(ctx, target.clientId, params), { alg: target.signingAlg ?? DEFAULT_RESPONSE_ALG });
  return [[RESPONSE_PARAMETER, jwt]];
}
