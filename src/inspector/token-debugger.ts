/**
 * The token debugger's verdict on a pasted token: its decoded header and claims, whether the
 * signature verifies against our JWKS, whether it is ours, active, expired or revoked and why, and
 * its grant. The lookup and the verdict are introspection's own (findPresentedToken and
 * introspectionResponse, answered as the owning client would get it); the debugger adds only the
 * reasons an inactive answer does not give.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2 (active, and the members of an active answer)
 * @spec https://www.rfc-editor.org/rfc/rfc7515#section-5.2 (verifying a JWS)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2.2 (the jti names a JWT access token)
 */
import { compactVerify, importJWK } from 'jose';
import { introspectionResponse, type IntrospectionResponse } from '../rfc7662-introspection/introspection-response.js';
import { findPresentedToken, type PresentedToken } from '../rfc7662-introspection/presented-token.js';
import { isoTime, type Context } from '../server/context.js';
import type { DecodedJwt } from '../storage/request-trace-records.js';
import type { GrantRecord } from '../storage/stores.js';
import { decodeJwtParts } from './secret-masking.js';

type TokenState = 'active' | 'expired' | 'revoked' | 'rotated' | 'not-stored' | 'unknown' | 'bad-signature' | 'not-ours';
type SignatureCheck = 'valid' | 'invalid' | 'unknown-key' | 'none';

export interface TokenVerdict {
  format: 'jwt' | 'opaque';
  jwt?: DecodedJwt;
  signature: SignatureCheck;
  kind: 'access_token' | 'refresh_token' | 'id_token' | 'logout_token' | 'unknown';
  state: TokenState;
  /** Why the token is in its state, one line each. */
  reasons: string[];
  grant?: GrantRecord;
  /** What introspection answers the client the token was issued to. */
  introspection?: IntrospectionResponse;
}

async function checkSignature(ctx: Context, token: string, jwt: DecodedJwt): Promise<SignatureCheck> {
  const kid = jwt.header.kid;
  const key = typeof kid === 'string' ? await ctx.keystore.publicKey(kid) : undefined;
  if (!key) return 'unknown-key';
  try {
    await compactVerify(token, await importJWK(key, typeof jwt.header.alg === 'string' ? jwt.header.alg : (key.alg as string)));
    return 'valid';
  } catch {
    return 'invalid';
  }
}

function kindOf(jwt: DecodedJwt): TokenVerdict['kind'] {
  if (jwt.header.typ === 'at+jwt') return 'access_token';
  if (jwt.header.typ === 'logout+jwt') return 'logout_token';
  return 'id_token';
}

/** The stored token behind a JWT access token whose signature verified, expired ones included (its jti is the key). */
async function storedJwtAccessToken(ctx: Context, token: string, jwt: DecodedJwt): Promise<PresentedToken | undefined> {
  const presented = await findPresentedToken(ctx, token);
  if (presented || typeof jwt.claims.jti !== 'string') return presented;
  // findPresentedToken refuses an expired JWT before the lookup; the debugger still wants to say so.
  const found = await ctx.stores.accessTokens.findWithGrant(jwt.claims.jti);
  return found ? { kind: 'access_token', found } : undefined;
}

/** Why a stored token is not active, in the order introspection checks. */
function reasonsOf(presented: PresentedToken, now: number): { state: TokenState; reasons: string[] } {
  const { token, grant } = presented.found;
  const reasons: string[] = [];
  let state: TokenState = 'expired';
  if ('revokedAt' in token && token.revokedAt !== null) {
    reasons.push(`The token was revoked at ${isoTime(token.revokedAt)} (RFC 7009).`);
    state = 'revoked';
  }
  if ('consumedAt' in token && token.consumedAt !== null) {
    reasons.push(`The refresh token was used (rotated) at ${isoTime(token.consumedAt)}: presenting it again is reuse, which revokes the grant.`);
    state = 'rotated';
  }
  if (grant.revokedAt !== null) {
    reasons.push(`Its grant was revoked at ${isoTime(grant.revokedAt)}${grant.revokedReason ? ` (${grant.revokedReason})` : ''}.`);
    state = 'revoked';
  }
  if (token.expiresAt <= now) reasons.push(`The token expired at ${isoTime(token.expiresAt)}.`);
  if (grant.expiresAt <= now) reasons.push(`Its grant expired at ${isoTime(grant.expiresAt)}.`);
  if (grant.clientId !== token.clientId) reasons.push('The token and its grant belong to different clients.');
  if (reasons.length === 0) reasons.push(`The token is inactive at ${isoTime(now)}.`);
  return { state, reasons };
}

export async function debugToken(ctx: Context, input: string): Promise<TokenVerdict> {
  const token = input.trim();
  const now = ctx.clock();
  const jwt = decodeJwtParts(token);
  if (token.split('.').length === 3 && !jwt) return { format: 'jwt', signature: 'none', kind: 'unknown', state: 'unknown', reasons: ['Three dot-separated parts, but the header or claims are not JSON: not a JWT this server issued.'] };
  let verdict: TokenVerdict;
  let presented: PresentedToken | undefined;
  if (jwt) {
    verdict = { format: 'jwt', jwt, signature: await checkSignature(ctx, token, jwt), kind: kindOf(jwt), state: 'unknown', reasons: [] };
    if (verdict.signature === 'unknown-key') return { ...verdict, state: 'not-ours', reasons: [`No key with kid ${JSON.stringify(jwt.header.kid ?? null)} is in this server's JWKS: not issued here, or signed with a key removed after rotation.`] };
    if (verdict.signature === 'invalid') return { ...verdict, state: 'bad-signature', reasons: ['The signature does not verify against the key its kid names: the token was altered or forged.'] };
    if (jwt.claims.iss !== ctx.config.issuer) return { ...verdict, state: 'not-ours', reasons: [`Its iss ${JSON.stringify(jwt.claims.iss ?? null)} is not this issuer (${ctx.config.issuer}).`] };
    if (verdict.kind !== 'access_token') {
      const exp = typeof jwt.claims.exp === 'number' ? jwt.claims.exp : undefined;
      const expired = exp !== undefined && exp <= now;
      return { ...verdict, state: expired ? 'expired' : 'not-stored', reasons: [
        expired ? `It expired at ${isoTime(exp)} (exp).` : `Valid until ${exp === undefined ? 'no exp' : isoTime(exp)}.`,
        `An ${verdict.kind === 'id_token' ? 'ID token' : 'logout token'} is not stored and cannot be revoked; it says who signed in, it grants nothing.`,
      ] };
    }
    presented = await storedJwtAccessToken(ctx, token, jwt);
  } else {
    verdict = { format: 'opaque', signature: 'none', kind: 'unknown', state: 'unknown', reasons: [] };
    presented = await findPresentedToken(ctx, token);
  }
  if (!presented) return { ...verdict, reasons: ['No stored token matches: not issued by this server, or deleted by the retention pass after it expired.'] };
  const introspection = introspectionResponse(ctx, presented, { clientId: presented.found.token.clientId });
  const outcome = introspection.active ? { state: 'active' as const, reasons: [`Active until ${isoTime(presented.found.token.expiresAt)}.`] } : reasonsOf(presented, now);
  return { ...verdict, kind: presented.kind, ...outcome, grant: presented.found.grant, introspection };
}
