/**
 * Reads a subject or actor token into what the exchange needs: who it is about, who holds it, its
 * scope, audience, expiry, act and may_act. Accepted are only tokens Castellan issued and that are
 * active as introspection judges them (src/rfc7662-introspection/: unexpired, not revoked, grant
 * live; a refresh token is looked up by its hash and never consumed here), and JWTs of trusted
 * issuers (trusted-issuers.ts). A JWT claiming Castellan's issuer is verified against Castellan's
 * own keys: an RFC 9068 access token goes through the access token lookup, an ID token must still
 * belong to a live grant; a logout token or anything else is refused. Every failure is
 * invalid_request (§2.2.2), the same answer for unknown, expired and revoked.
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.1 (subject_token, actor_token and their types)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.2.2 (invalid_request for an invalid token)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-3 (token type identifiers)
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-4 (a token is active only while usable)
 */
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { OAuthError } from '../errors/oauth-error.js';
import { findPresentedToken } from '../rfc7662-introspection/presented-token.js';
import { isActiveRefreshToken } from '../rfc7662-introspection/introspection-response.js';
import type { Context } from '../server/context.js';
import type { ActClaim, GrantRecord } from '../storage/stores.js';
import { isActiveAccessToken, looksLikeJwt } from '../tokens/access-token.js';
import { parseActClaim } from './act-claim.js';
import type { TokenOrigin } from './exchange-policy.js';
import { TOKEN_TYPES, isTokenType, type TokenType } from './token-types.js';
import { claimedIssuer, trustedIssuer, verifyTrustedJwt } from './trusted-issuers.js';

export interface ExchangeToken extends TokenOrigin {
  /** Who the token is about (`sub`). */
  subject: string;
  scope: string;
  /** Its explicit audience; empty when it names none (Castellan's default audience is itself). */
  audience: string[];
  /** When it stops being usable (the earlier of the token's and its grant's expiry). */
  expiresAt: number;
  /** The Castellan grant behind it; absent for another issuer's JWT. */
  grant?: GrantRecord;
  act?: ActClaim;
  mayAct?: unknown;
}

type Parameter = 'subject_token' | 'actor_token';

const invalid = (name: Parameter, why = 'it is unknown, expired or revoked') => new OAuthError('invalid_request', `${name} is invalid: ${why}`, { requirement: 'RFC8693-2.1-5' });

/** A Castellan grant's part: subject and delegation chain as its tokens carry them. */
function fromGrant(grant: GrantRecord, clientId: string): Pick<ExchangeToken, 'subject' | 'act' | 'grant' | 'clientId' | 'self'> {
  return { subject: grant.subject ?? grant.userId ?? clientId, act: grant.act ?? undefined, grant, clientId, self: true };
}

async function castellanAccessToken(ctx: Context, token: string, type: TokenType, name: Parameter): Promise<ExchangeToken> {
  const presented = await findPresentedToken(ctx, token, 'access_token');
  if (presented?.kind !== 'access_token' || !isActiveAccessToken(presented.found, ctx.clock())) throw invalid(name);
  const { token: record, grant } = presented.found;
  return {
    ...fromGrant(grant, record.clientId), type, issuer: ctx.config.issuer, scope: record.scope,
    audience: record.audience ?? [], expiresAt: Math.min(record.expiresAt, grant.expiresAt),
  };
}

async function castellanRefreshToken(ctx: Context, token: string, name: Parameter): Promise<ExchangeToken> {
  if (looksLikeJwt(token)) throw invalid(name);
  const presented = await findPresentedToken(ctx, token, 'refresh_token');
  if (presented?.kind !== 'refresh_token' || !isActiveRefreshToken(presented.found, ctx.clock())) throw invalid(name);
  const { token: record, grant } = presented.found;
  return {
    ...fromGrant(grant, record.clientId), type: TOKEN_TYPES.refresh_token, issuer: ctx.config.issuer, scope: record.scope,
    audience: grant.resource ?? [], expiresAt: Math.min(record.expiresAt, grant.expiresAt),
  };
}

/**
 * A Castellan ID token: signature, issuer and expiry against our keys. It names no grant, so it is
 * tied to the newest live grant of that user and client from the same sign-in: the same session
 * (`sid`) when the token carries one (clients with a backchannel_logout_uri get it), else the same
 * `auth_time`. None, and the authorization behind it has ended.
 */
async function castellanIdToken(ctx: Context, token: string, type: TokenType, name: Parameter): Promise<ExchangeToken> {
  let payload;
  try {
    const header = decodeProtectedHeader(token);
    const key = header.kid ? await ctx.keystore.publicKey(header.kid) : undefined;
    if (!key || (header.typ !== undefined && header.typ !== 'JWT')) throw new Error('not an ID token of ours');
    ({ payload } = await jwtVerify(token, key, { issuer: ctx.config.issuer, requiredClaims: ['sub', 'exp', 'aud'], currentDate: new Date(ctx.clock() * 1000) }));
  } catch (error) {
    throw new OAuthError('invalid_request', `${name} is invalid: its signature, issuer or expiry does not verify`, { requirement: 'RFC8693-5-3', cause: error });
  }
  // A logout token has the same issuer and key but carries events; it never stands for a user's authorization.
  const audience = [payload.aud].flat();
  if (payload.events !== undefined || audience.length !== 1 || typeof payload.sub !== 'string') throw invalid(name, 'it is not an ID token');
  const clientId = audience[0] as string;
  const now = ctx.clock();
  const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
  const authTime = typeof payload.auth_time === 'number' ? payload.auth_time : null;
  const sameSignIn = (grant: GrantRecord) => (sid !== undefined ? grant.sid === sid : grant.authTime === authTime);
  const live = (await ctx.stores.grants.listUnrevokedByUserAndClient(payload.sub, clientId))
    .filter((grant) => !grant.parentGrantId && sameSignIn(grant) && grant.expiresAt > now)
    .sort((a, b) => b.createdAt - a.createdAt);
  if (live.length === 0) throw invalid(name, 'the authorization it was issued for has ended');
  return {
    ...fromGrant(live[0], clientId), type, issuer: ctx.config.issuer, scope: live[0].scope,
    audience: [], expiresAt: Math.min(payload.exp as number, live[0].expiresAt),
  };
}

async function externalJwt(ctx: Context, token: string, type: TokenType, issuer: string, name: Parameter): Promise<ExchangeToken> {
  const trusted = trustedIssuer(ctx, issuer);
  if (!trusted) throw invalid(name, 'its issuer is not trusted by this server');
  const payload = await verifyTrustedJwt(ctx, token, trusted, name);
  const act = payload.act === undefined ? undefined : parseActClaim(payload.act);
  if (payload.act !== undefined && !act) throw invalid(name, 'its act claim is malformed');
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : null;
  return {
    type, self: false, issuer, clientId, subject: payload.sub,
    scope: typeof payload.scope === 'string' ? payload.scope : '',
    audience: payload.aud === undefined ? [] : [payload.aud].flat(),
    expiresAt: payload.exp, act, mayAct: payload.may_act,
  };
}

/** The token behind `token` presented as `rawType`, or invalid_request. */
export async function readPresentedToken(ctx: Context, token: string, rawType: string, name: Parameter): Promise<ExchangeToken> {
  if (!isTokenType(rawType)) throw new OAuthError('invalid_request', `${name}_type ${rawType} is not supported`, { requirement: 'RFC8693-3-1' });
  const type: TokenType = rawType;
  if (type === TOKEN_TYPES.refresh_token) return castellanRefreshToken(ctx, token, name);
  if (!looksLikeJwt(token)) {
    // Only Castellan's opaque access tokens are not JWTs; an ID token or a JWT always is one.
    if (type !== TOKEN_TYPES.access_token) throw invalid(name, `it is not a JWT, as ${type} must be`);
    return castellanAccessToken(ctx, token, type, name);
  }
  const issuer = claimedIssuer(token);
  if (issuer === undefined) throw invalid(name, 'it names no issuer');
  if (issuer !== ctx.config.issuer) return externalJwt(ctx, token, type, issuer, name);
  let typ: unknown;
  try {
    typ = decodeProtectedHeader(token).typ;
  } catch {
    throw invalid(name);
  }
  // Our own JWTs by their typ: RFC 9068 access tokens (at+jwt) are looked up like opaque ones.
  if (typ === 'at+jwt' && type !== TOKEN_TYPES.id_token) return castellanAccessToken(ctx, token, type, name);
  if (typ !== 'at+jwt' && type !== TOKEN_TYPES.access_token) return castellanIdToken(ctx, token, type, name);
  throw invalid(name, `it is not a ${type}`);
}
