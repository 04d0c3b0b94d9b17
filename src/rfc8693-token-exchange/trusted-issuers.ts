/**
 * JWTs of other issuers: accepted only from issuers listed in TOKEN_EXCHANGE_TRUSTED_ISSUERS, with
 * a signature that verifies against that issuer's JWKS (fetched through the SSRF-guarded client and
 * cached, src/rfc7523-jwt-client-auth/client-jwks.ts), asymmetric algorithms only, an `exp` that
 * has not passed and a `sub`. Whatever fails is one invalid_request; the cause is logged, not sent.
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.1 (subject_token and actor_token validation is the server's)
 * @spec https://www.rfc-editor.org/rfc/rfc8725#section-3.1 (algorithm allow-list, never none or HMAC with a public key)
 * @spec https://www.rfc-editor.org/rfc/rfc7519#section-7.2 (validating a JWT)
 */
import { decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import type { TrustedIssuer } from '../config/token-exchange-settings.js';
import { OAuthError } from '../errors/oauth-error.js';
import { remoteKeySet } from '../rfc7523-jwt-client-auth/client-jwks.js';
import type { Context } from '../server/context.js';

/** RFC 8725 §3.1: asymmetric signatures only, so a published key can never act as an HMAC secret. */
export const TRUSTED_JWT_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** The `iss` a JWT claims, before anything is verified (only to choose the keys), or undefined. */
export function claimedIssuer(token: string): string | undefined {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

export function trustedIssuer(ctx: Context, issuer: string): TrustedIssuer | undefined {
  return (ctx.config.tokenExchangeTrustedIssuers ?? []).find((trusted) => trusted.issuer === issuer);
}

/** The verified claims of a JWT from a trusted issuer; `name` says which parameter, for the error. */
export async function verifyTrustedJwt(ctx: Context, token: string, trusted: TrustedIssuer, name: string): Promise<JWTPayload & { sub: string; exp: number }> {
  try {
    const keys = await remoteKeySet(ctx, trusted.jwks_uri);
    const { payload } = await jwtVerify(token, keys, {
      issuer: trusted.issuer,
      algorithms: TRUSTED_JWT_ALGS,
      requiredClaims: ['sub', 'exp'],
      currentDate: new Date(ctx.clock() * 1000),
    });
    return payload as JWTPayload & { sub: string; exp: number };
  } catch (error) {
    // The issuer's jwks_uri not answering is an outage (503 temporarily_unavailable, client-jwks.ts), not a bad token.
    if (error instanceof OAuthError) throw error;
    ctx.logger.info({ err: error, issuer: trusted.issuer }, `${name} from a trusted issuer did not verify`);
    throw new OAuthError('invalid_request', `${name} is invalid: its signature, issuer or expiry does not verify`, { requirement: 'RFC8693-5-3', cause: error });
  }
}
