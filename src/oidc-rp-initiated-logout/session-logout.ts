/**
 * Ending an OP session at the End-User's request, in one transaction: the session row goes, the
 * grants issued within it are revoked unless they are offline_access grants, every client that
 * received tokens in it is queued for back-channel notification, and the audit event is written.
 *
 * Why offline_access grants survive: OIDC Core §11 defines offline_access as access that continues
 * while the End-User is not logged in, and Back-Channel Logout §2.7 recommends revoking the refresh
 * tokens a logged-out session received without offline_access and normally keeping those issued
 * with it. Withdrawing consent on the account page is how a user ends those.
 * @spec https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout (the OP MUST log out the End-User)
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCActions
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess
 */
import { scopeList } from '../oidc-core/claims.js';
import { enqueueBackChannelLogouts } from '../oidc-back-channel-logout/sender.js';
import type { RequestOrigin } from '../security/audit.js';
import type { Context } from '../server/context.js';
import type { SessionRecord } from '../storage/stores.js';

export interface SessionLogout {
  /** False when the session was already gone (another tab, or a concurrent request, ended it). */
  ended: boolean;
  revokedGrants: number;
  /** Ids of the queued back-channel deliveries. */
  deliveries: string[];
}

export async function logoutSession(ctx: Context, session: SessionRecord, cause: { clientId: string | null; reason: string; origin?: RequestOrigin }): Promise<SessionLogout> {
  const now = ctx.clock();
  return ctx.stores.transaction(async (tx) => {
    // The session row is the single-use guard: only the request that removed it continues.
    if (!(await ctx.stores.sessions.remove(session.idHash, tx))) return { ended: false, revokedGrants: 0, deliveries: [] };
    const grants = await ctx.stores.grants.listBySid(session.sid, tx);
    let revokedGrants = 0;
    for (const grant of grants) {
      if (grant.revokedAt !== null || scopeList(grant.scope).includes('offline_access')) continue;
      if (await ctx.stores.grants.revoke(grant.id, 'logout', now, tx)) revokedGrants += 1;
    }
    const deliveries = await enqueueBackChannelLogouts(ctx, session.sid, grants, tx);
    await ctx.stores.audit.record({
      type: 'session.ended',
      userId: session.userId,
      clientId: cause.clientId,
      ...cause.origin,
      details: { sid: session.sid, reason: cause.reason, revokedGrants, backchannelDeliveries: deliveries.length },
    }, now, tx);
    return { ended: true, revokedGrants, deliveries };
  });
}
