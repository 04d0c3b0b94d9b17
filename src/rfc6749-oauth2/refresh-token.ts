/**
 * Refresh token handles: 256-bit random, stored as SHA-256, bound to one grant and client, never
 * outliving the grant they derive from.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-1.5
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.4 (refresh tokens bound to the client)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (rotation)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-5 (a public client's refresh token is bound to its DPoP key)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-4 (or to its client certificate)
 */
import type { Context } from '../server/context.js';
import { tokenLifetime } from '../clients/token-lifetimes.js';
import type { ClientRecord, GrantRecord, RefreshTokenRecord } from '../storage/stores.js';
import { hashHandle, newHandle } from '../tokens/handles.js';

export interface IssuedRefreshToken {
  token: string;
  record: RefreshTokenRecord;
}

/** Builds a refresh token and its row in memory; the caller writes the row in its transaction. */
export function mintRefreshToken(ctx: Context, client: ClientRecord, grant: GrantRecord, scope: string, dpopJkt?: string, x5tS256?: string): IssuedRefreshToken {
  const now = ctx.clock();
  const token = newHandle();
  return {
    token,
    record: {
      tokenHash: hashHandle(token),
      grantId: grant.id,
      clientId: grant.clientId,
      scope,
      createdAt: now,
      expiresAt: Math.min(now + tokenLifetime(ctx.config, client.metadata, 'refresh_token'), grant.expiresAt),
      consumedAt: null,
      ...(dpopJkt !== undefined ? { dpopJkt } : {}),
      ...(x5tS256 !== undefined ? { x5tS256 } : {}),
    },
  };
}

/** The client is granted refresh tokens at all only when registered for the refresh_token grant. */
export function clientMayRefresh(grantTypes: readonly string[]): boolean {
  return grantTypes.includes('refresh_token');
}
