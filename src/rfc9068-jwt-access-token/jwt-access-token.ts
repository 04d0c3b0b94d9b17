/**
 * RFC 9068 JWT access tokens: the claims, the at+jwt header and the signature; and the checks that
 * make a presented JWT one of ours, so an ID token signed with the same key is never taken for one.
 * tokens/access-token.ts records either format and decides validity; this module knows only the JWT.
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2.1 (typ at+jwt, signed, never alg none)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2.2 (iss, exp, aud, sub, client_id, iat, jti)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2.2.1 (auth_time, acr, amr)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2.2.3 (scope)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-3 (aud: the requested resource, else a default)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-4 (validation: typ, iss, signature, exp)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-4.1 (act: the delegation chain of an exchanged token)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-6.1 (cnf.jkt of a DPoP-bound JWT)
 */
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { Context } from '../server/context.js';
import type { GrantRecord } from '../storage/stores.js';
import { confirmation } from '../rfc8705-mtls/certificate-binding.js';

export interface JwtAccessTokenContent {
  grant: GrantRecord;
  scope: string;
  /** RFC 8707 audiences; none means the default audience, the issuer. */
  audience: string[] | null;
  /** The user id, or the client id for client credentials, or an exchanged grant's subject. */
  subject: string;
  issuedAt: number;
  expiresAt: number;
  jti: string;
  /** RFC 9449: the DPoP key thumbprint of a bound token. */
  dpopJkt?: string;
  /** RFC 8705 §3.1: the client certificate thumbprint of a certificate-bound token. */
  x5tS256?: string;
}

/** The claims of one JWT access token. */
export function jwtAccessTokenClaims(issuer: string, content: JwtAccessTokenContent): JWTPayload {
  const { grant, audience } = content;
  const payload: JWTPayload = {
    iss: issuer,
    sub: content.subject,
    // §3: the resource the client asked for; without one, a default the server documents (itself).
    aud: audience && audience.length > 0 ? (audience.length === 1 ? audience[0] : audience) : issuer,
    client_id: grant.clientId,
    scope: content.scope,
    iat: content.issuedAt,
    exp: content.expiresAt,
    jti: content.jti,
  };
  // §2.2.1: the authentication behind a user's grant; a client acting for itself has none.
  if (grant.userId && grant.authTime !== null) payload.auth_time = grant.authTime;
  if (grant.acr) payload.acr = grant.acr;
  if (grant.amr) payload.amr = grant.amr;
  // RFC 8693 §4.1: a token obtained by delegation names its actor (earlier actors nested inside).
  if (grant.act) payload.act = grant.act;
  // RFC 9449 §6.1: a resource server validating locally learns the key from the token itself.
  // RFC 8705 §3.1: and the certificate's thumbprint, x5t#S256, when bound to the client certificate.
  const cnf = confirmation(content);
  if (cnf) payload.cnf = cnf;
  return payload;
}

/** §2.1: signed with the server's asymmetric key and typed at+jwt. */
export function signJwtAccessToken(ctx: Context, content: JwtAccessTokenContent): Promise<string> {
  return ctx.keystore.sign(jwtAccessTokenClaims(ctx.config.issuer, content), { alg: ctx.config.signingAlg, typ: 'at+jwt' });
}

/** The jti of a presented JWT access token whose type, signature, issuer and expiry verify (§4). */
export async function verifiedJwtAccessTokenId(ctx: Context, token: string): Promise<string | undefined> {
  try {
    const header = decodeProtectedHeader(token);
    if (header.typ !== 'at+jwt' || !header.kid) return undefined;
    const key = await ctx.keystore.publicKey(header.kid);
    if (!key) return undefined;
    // Expiry is checked against the injected clock, not the wall clock.
    await jwtVerify(token, key, { issuer: ctx.config.issuer, typ: 'at+jwt', currentDate: new Date(ctx.clock() * 1000) });
    const jti = decodeJwt(token).jti;
    return typeof jti === 'string' ? jti : undefined;
  } catch {
    return undefined;
  }
}
