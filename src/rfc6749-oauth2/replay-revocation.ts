/**
 * Revokes a whole grant when a single-use artifact comes back: a replayed authorization code or a
 * rotated refresh token. The grant is the root of the family, so one update kills every token.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (code replay: revoke tokens issued from it)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token reuse: revoke the family)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.5 (a device_code redeemed twice is treated like a replayed code)
 */
import type { Context } from '../server/context.js';
import type { RequestOrigin } from '../security/audit.js';
import type { Tx } from '../storage/stores.js';

export type ReplayReason = 'code_replay' | 'refresh_token_reuse' | 'device_code_replay';

const AUDIT_TYPE: Record<ReplayReason, string> = { code_replay: 'token.code_replay', refresh_token_reuse: 'token.refresh_reuse', device_code_replay: 'token.device_code_replay' };

/** Revokes the grant and records why, and from where the replay came, in the caller's transaction. */
export async function revokeOnReplay(ctx: Context, grantId: string, clientId: string, reason: ReplayReason, origin: RequestOrigin | undefined, tx: Tx): Promise<void> {
  const now = ctx.clock();
  const revoked = await ctx.stores.grants.revoke(grantId, reason, now, tx);
  await ctx.stores.audit.record({ type: AUDIT_TYPE[reason], clientId, ...origin, details: { grant_id: grantId, newly_revoked: revoked } }, now, tx);
}

/** The same in a transaction of its own, committed before the request fails. */
export function revokeOnReplayNow(ctx: Context, grantId: string, clientId: string, reason: ReplayReason, origin?: RequestOrigin): Promise<void> {
  return ctx.stores.transaction((tx) => revokeOnReplay(ctx, grantId, clientId, reason, origin, tx));
}
