/**
 * Finds the stored token behind a presented string, for introspection and revocation alike: an
 * access token (opaque handle or verified JWT, by its jti) or a refresh token, each read together
 * with its grant in one statement. The hint only decides which kind is tried first.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1 (token_type_hint; search all types when the hint misses)
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.1 (the same rule for revocation)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2.2 (jti identifies a JWT access token)
 */
import type { Context } from '../server/context.js';
import type { AccessTokenRecord, RefreshTokenRecord, TokenWithGrant } from '../storage/stores.js';
import { accessTokenKey, looksLikeJwt } from '../tokens/access-token.js';
import { hashHandle } from '../tokens/handles.js';

export type PresentedToken =
  | { kind: 'access_token'; found: TokenWithGrant<AccessTokenRecord> }
  | { kind: 'refresh_token'; found: TokenWithGrant<RefreshTokenRecord> };

/** The stored token, whatever its state (expired, revoked, another client's), or undefined. */
export async function findPresentedToken(ctx: Context, token: string, hint?: string): Promise<PresentedToken | undefined> {
  if (looksLikeJwt(token)) {
    // Refresh tokens are opaque handles: only an access token can be a JWT. One that does not
    // verify (signature, issuer, expiry) is unknown.
    const key = await accessTokenKey(ctx, token);
    const found = key === undefined ? undefined : await ctx.stores.accessTokens.findWithGrant(key);
    return found ? { kind: 'access_token', found } : undefined;
  }
  const hash = hashHandle(token);
  const access = async (): Promise<PresentedToken | undefined> => {
    const found = await ctx.stores.accessTokens.findWithGrant(hash);
    return found ? { kind: 'access_token', found } : undefined;
  };
  const refresh = async (): Promise<PresentedToken | undefined> => {
    const found = await ctx.stores.refreshTokens.findWithGrant(hash);
    return found ? { kind: 'refresh_token', found } : undefined;
  };
  // Unknown hints are ignored (RFC 7009 §2.1 lets the server ignore the hint); access tokens first.
  return hint === 'refresh_token' ? ((await refresh()) ?? access()) : ((await access()) ?? refresh());
}
