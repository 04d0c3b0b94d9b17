/**
 * Access tokens: opaque handles stored as SHA-256 (default) or RFC 9068 JWTs whose jti is recorded,
 * so both kinds stay revocable and introspectable. A token is valid only while its grant is not
 * revoked and it has not expired. The JWT itself (claims, signature, checks) is
 * rfc9068-jwt-access-token/jwt-access-token.ts.
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2 (the jti is what is recorded)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-1.2
 */
import type { Context } from '../server/context.js';
import type { AccessTokenRecord, GrantRecord, TokenWithGrant } from '../storage/stores.js';
import { signJwtAccessToken, verifiedJwtAccessTokenId } from '../rfc9068-jwt-access-token/jwt-access-token.js';
import { hashHandle, newHandle, newId } from './handles.js';

export interface IssuedAccessToken {
  token: string;
  record: AccessTokenRecord;
}

export interface AccessTokenRequest {
  grant: GrantRecord;
  scope: string;
  format: 'opaque' | 'jwt';
  /** RFC 8707 audiences; defaults to the issuer. */
  audience?: string[] | null;
  /** Subject: the user id, or the client id for client credentials, or an exchanged grant's subject. */
  subject: string;
  /** Latest expiry: an exchanged token never outlives its subject token (RFC 8693). */
  notAfter?: number;
  /** Seconds the token lives: the client's lifetime (clients/token-lifetimes.ts); the server-wide one when absent. */
  lifetime?: number;
  /** RFC 9449 §6: the DPoP key thumbprint the token is bound to (recorded, and cnf.jkt in a JWT). */
  dpopJkt?: string;
  /** RFC 8705 §3: the client certificate thumbprint the token is bound to (recorded, and cnf x5t#S256 in a JWT). */
  x5tS256?: string;
}

/** Builds the token and its row; the caller writes the row in its own transaction. */
export async function mintAccessToken(ctx: Context, request: AccessTokenRequest): Promise<IssuedAccessToken> {
  const now = ctx.clock();
  const expiresAt = Math.min(now + (request.lifetime ?? ctx.config.accessTokenTtl), request.notAfter ?? Infinity);
  const base = { grantId: request.grant.id, clientId: request.grant.clientId, scope: request.scope, audience: request.audience ?? null, createdAt: now, expiresAt, revokedAt: null, ...(request.dpopJkt !== undefined ? { dpopJkt: request.dpopJkt } : {}), ...(request.x5tS256 !== undefined ? { x5tS256: request.x5tS256 } : {}) };
  if (request.format === 'opaque') {
    const token = newHandle();
    return { token, record: { ...base, tokenHash: hashHandle(token), format: 'opaque' } };
  }
  const jti = newId();
  const token = await signJwtAccessToken(ctx, { grant: request.grant, scope: request.scope, audience: request.audience ?? null, subject: request.subject, issuedAt: now, expiresAt, jti, dpopJkt: request.dpopJkt, x5tS256: request.x5tS256 });
  return { token, record: { ...base, tokenHash: jti, format: 'jwt' } };
}

export interface ActiveAccessToken {
  record: AccessTokenRecord;
  grant: GrantRecord;
}

/** True for a token that looks like a JWT (three dot-separated parts); opaque handles have no dots. */
export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/**
 * The storage key of a presented access token: SHA-256 of an opaque handle, or the jti of a JWT
 * whose signature, issuer and expiry verify. Undefined for a JWT that does not verify.
 */
export async function accessTokenKey(ctx: Context, token: string): Promise<string | undefined> {
  return looksLikeJwt(token) ? verifiedJwtAccessTokenId(ctx, token) : hashHandle(token);
}

/** The stored row for a presented token (opaque or JWT), or undefined when unknown or malformed. */
export async function findAccessToken(ctx: Context, token: string): Promise<AccessTokenRecord | undefined> {
  const key = await accessTokenKey(ctx, token);
  return key === undefined ? undefined : ctx.stores.accessTokens.find(key);
}

/**
 * A stored token is active while it is unexpired and not revoked itself (RFC 7009), and its grant
 * belongs to the same client, is not revoked and has not expired.
 */
export function isActiveAccessToken(found: TokenWithGrant<AccessTokenRecord>, now: number): boolean {
  const { token, grant } = found;
  return token.expiresAt > now && token.revokedAt === null && grant.clientId === token.clientId && grant.revokedAt === null && grant.expiresAt > now;
}

/** The token and its grant when the token is active; one read for the token and its grant. */
export async function resolveAccessToken(ctx: Context, token: string): Promise<ActiveAccessToken | undefined> {
  const key = await accessTokenKey(ctx, token);
  const found = key === undefined ? undefined : await ctx.stores.accessTokens.findWithGrant(key);
  if (!found || !isActiveAccessToken(found, ctx.clock())) return undefined;
  return { record: found.token, grant: found.grant };
}
