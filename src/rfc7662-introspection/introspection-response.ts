/**
 * The introspection answer for one presented token. Anything the caller may not learn about, or
 * that cannot be used, is the bare `{"active": false}`: unknown, malformed, expired, revoked (the
 * token itself or its grant), a rotated refresh token, or a token issued to another client.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2 (response members; active false and nothing else)
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-4 (a token is active only while usable)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2 (aud: the token's resources)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2.2 (the same claims a JWT access token carries)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-4.1 (act in an introspection response)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-6.2 (cnf.jkt and token_type DPoP of a bound token)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3.2 (cnf x5t#S256 of a certificate-bound token)
 */
import type { Context } from '../server/context.js';
import type { AccessTokenRecord, GrantRecord, RefreshTokenRecord, TokenWithGrant } from '../storage/stores.js';
import { isActiveAccessToken } from '../tokens/access-token.js';
import type { PresentedToken } from './presented-token.js';
import { confirmation } from '../rfc8705-mtls/certificate-binding.js';
import { mayIntrospect, type Introspector } from './introspection-policy.js';

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

export const INACTIVE: IntrospectionResponse = Object.freeze({ active: false as const });

/** A refresh token is active while unexpired, not rotated away, and its grant is live and the same client's. */
export function isActiveRefreshToken(found: TokenWithGrant<RefreshTokenRecord>, now: number): boolean {
  const { token, grant } = found;
  return token.expiresAt > now && token.consumedAt === null && grant.clientId === token.clientId && grant.revokedAt === null && grant.expiresAt > now;
}

/** Members both kinds share: who the token is for and when it lives. */
function common(ctx: Context, token: AccessTokenRecord | RefreshTokenRecord, grant: GrantRecord, username: string | null): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (token.scope) body.scope = token.scope;
  body.client_id = token.clientId;
  if (username !== null && grant.userId !== null) body.username = username;
  body.exp = token.expiresAt;
  body.iat = token.createdAt;
  // The subject is the user, or the client itself for client credentials, or the subject an exchanged
  // grant speaks for (as in the JWT's sub).
  body.sub = grant.subject ?? grant.userId ?? token.clientId;
  body.iss = ctx.config.issuer;
  if (grant.userId !== null && grant.authTime !== null) body.auth_time = grant.authTime;
  if (grant.acr) body.acr = grant.acr;
  // RFC 8693 §4.1: the delegation chain, so an opaque exchanged token shows what its JWT would carry.
  if (grant.act) body.act = grant.act;
  return body;
}

/** The answer for `caller`, the authenticated client (`introspectorOf`; `{ clientId }` alone is no resource server). */
export function introspectionResponse(ctx: Context, presented: PresentedToken | undefined, caller: Introspector): IntrospectionResponse {
  if (!presented) return INACTIVE;
  const now = ctx.clock();
  // Castellan policy (introspection-policy.ts): a client learns about its own tokens, a resource
  // server also about access tokens meant for it; any other token is as good as unknown.
  if (!mayIntrospect(caller, presented)) return INACTIVE;

  if (presented.kind === 'refresh_token') {
    const { found } = presented;
    if (!isActiveRefreshToken(found, now)) return INACTIVE;
    // token_type names an access token type (RFC 6749 §7.1); a refresh token has none, so it is omitted.
    // RFC 9449 §5 binds a public client's refresh token to its DPoP key: cnf.jkt names it, as for access tokens.
    return { active: true, ...common(ctx, found.token, found.grant, found.username), ...(found.token.dpopJkt ? { cnf: { jkt: found.token.dpopJkt } } : {}) };
  }

  const { found } = presented;
  if (!isActiveAccessToken(found, now)) return INACTIVE;
  const { token } = found;
  const cnf = confirmation(token);
  const audience = token.audience && token.audience.length > 0 ? token.audience : [ctx.config.issuer];
  return {
    active: true,
    ...common(ctx, token, found.grant, found.username),
    // RFC 9449 §6.2: a bound token says so, and names its key, so the resource checks the proof.
    token_type: token.dpopJkt ? 'DPoP' : 'Bearer',
    // RFC 8705 §3.2: and a certificate-bound one its certificate's thumbprint, cnf x5t#S256.
    ...(cnf ? { cnf } : {}),
    // The same aud a JWT of this token would carry: its resources, else the issuer (RFC 9068 §3 default).
    aud: audience.length === 1 ? audience[0] : audience,
    ...(token.format === 'jwt' ? { jti: token.tokenHash } : {}),
  };
}
