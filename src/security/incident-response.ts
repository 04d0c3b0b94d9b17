/**
 * Incident response on a client whose credentials or tokens may have leaked: every grant of the
 * client is revoked in one statement, and with it every authorization code, refresh token and access
 * token (opaque or JWT, whose jti is recorded) derived from those grants; introspection then answers
 * inactive and UserInfo refuses them. The client itself stays registered (its secret can be replaced
 * with `castellan clients` or it can be removed).
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.1 (revocation of a grant's tokens)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (revoking a token family)
 */
import type { Context } from '../server/context.js';
import { audit } from './audit.js';

export const INCIDENT_REVOKED_REASON = 'incident';

export interface ClientRevocation {
  /** Grants that were live and are now revoked. */
  grants: number;
  /** Refresh and access tokens that were still usable when the grants were revoked. */
  refreshTokens: number;
  accessTokens: number;
}

/** Revokes every token of `clientId`; undefined when no such client is registered. */
export async function revokeClientTokens(ctx: Context, clientId: string, reason: string | null = null): Promise<ClientRevocation | undefined> {
  return ctx.stores.transaction(async (tx) => {
    if (!(await ctx.stores.clients.find(clientId, tx))) return undefined;
    const now = ctx.clock();
    const { refreshTokens, accessTokens } = await ctx.stores.grants.countUsableTokensByClient(clientId, now, tx);
    const grants = await ctx.stores.grants.revokeByClient(clientId, INCIDENT_REVOKED_REASON, now, tx);
    const result = { grants, refreshTokens, accessTokens };
    await audit(ctx, undefined, { type: 'incident.client_revoked', clientId, details: { ...result, reason } }, tx);
    return result;
  });
}
