/**
 * Back-channel logout delivery: when a session ends, one queued row per client that received tokens
 * in it and registered a backchannel_logout_uri; each row is posted (logout_token, form-encoded)
 * through the guarded outbound client and retried with backoff until acknowledged or given up.
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCSupport (OP metadata)
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCResponse (200 or 204 on success)
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html (SSRF through client-supplied URLs)
 */
import { contributeMetadata } from '../oidc-discovery/provider-metadata.js';
import { checkOutboundUrl, outboundPolicy, safeFetch } from '../security/safe-fetch.js';
import type { Context } from '../server/context.js';
import type { GrantRecord, LogoutDeliveryRecord, Tx } from '../storage/stores.js';
import { newId } from '../tokens/handles.js';
import { mintLogoutToken } from './logout-token.js';

contributeMetadata(() => ({
  backchannel_logout_supported: true,
  // ID tokens carry sid (oidc-core/id-token.ts), and logout tokens repeat it.
  backchannel_logout_session_supported: true,
}));

/** Seconds to wait after the n-th failed attempt; one attempt more than entries, then it is given up. */
export const RETRY_BACKOFF = [10, 60, 300, 1800, 3600] as const;
export const MAX_ATTEMPTS = RETRY_BACKOFF.length + 1;
/** A claimed delivery is hidden from other nodes this long; a crashed node's claim lapses after it. */
export const CLAIM_LEASE = 60;
/** Deliveries attempted per pass. */
export const DELIVERY_BATCH = 20;

/**
 * Queues a notification for each distinct client with a grant in the ended session (grants carry
 * the session's sid) that registered a backchannel_logout_uri. Runs in the caller's transaction.
 */
export async function enqueueBackChannelLogouts(ctx: Context, sid: string, grants: GrantRecord[], tx: Tx): Promise<string[]> {
  const now = ctx.clock();
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const grant of grants) {
    if (!grant.userId || seen.has(grant.clientId)) continue;
    seen.add(grant.clientId);
    const client = await ctx.stores.clients.find(grant.clientId, tx);
    if (!client?.metadata.backchannel_logout_uri) continue;
    const id = newId();
    await ctx.stores.logoutDeliveries.insert({ id, clientId: client.clientId, userId: grant.userId, sid, attempts: 0, nextAttemptAt: now, createdAt: now, lastError: null }, tx);
    ids.push(id);
  }
  return ids;
}

type Outcome = { kind: 'delivered' } | { kind: 'retry'; error: string } | { kind: 'final'; error: string };

/** One attempt: a fresh logout token (its exp is short), one POST, and what the answer means. */
export async function attemptDelivery(ctx: Context, delivery: LogoutDeliveryRecord): Promise<Outcome> {
  const client = await ctx.stores.clients.find(delivery.clientId);
  const uri = client?.metadata.backchannel_logout_uri;
  if (!client || !uri) return { kind: 'final', error: 'the client or its backchannel_logout_uri is gone' };
  const policy = outboundPolicy(ctx.config);
  try {
    checkOutboundUrl(uri, policy);
  } catch (error) {
    // Scheme or address refused by policy: no retry can change that.
    return { kind: 'final', error: (error as Error).message };
  }
  let token: string;
  try {
    token = await mintLogoutToken(ctx, client, { sub: delivery.userId, sid: delivery.sid });
  } catch (error) {
    return { kind: 'final', error: (error as Error).message };
  }
  try {
    const response = await safeFetch(uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }).toString(),
    }, policy);
    if (response.status >= 200 && response.status < 300) return { kind: 'delivered' };
    // §2.8: the RP answers 400 when it could not process the token; a new attempt would fail alike.
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      return { kind: 'final', error: `the client answered ${response.status}` };
    }
    return { kind: 'retry', error: `the client answered ${response.status}` };
  } catch (error) {
    // Timeouts, refused connections, redirects and addresses refused after DNS resolution.
    return { kind: 'retry', error: (error as Error).message };
  }
}

/** Claims, attempts and settles one due delivery; 'skipped' when another node claimed it first. */
async function processDelivery(ctx: Context, delivery: LogoutDeliveryRecord): Promise<Outcome['kind'] | 'skipped'> {
  const now = ctx.clock();
  if (!(await ctx.stores.logoutDeliveries.claim(delivery.id, delivery.nextAttemptAt, now + CLAIM_LEASE))) return 'skipped';
  const outcome = await attemptDelivery(ctx, delivery);
  const attempts = delivery.attempts + 1;
  const details = { deliveryId: delivery.id, sid: delivery.sid, attempts };
  const settledAt = ctx.clock();
  if (outcome.kind === 'retry' && attempts < MAX_ATTEMPTS) {
    await ctx.stores.logoutDeliveries.reschedule(delivery.id, attempts, settledAt + RETRY_BACKOFF[attempts - 1], outcome.error);
    ctx.logger.warn({ clientId: delivery.clientId, ...details, error: outcome.error }, 'back-channel logout failed; will retry');
    return 'retry';
  }
  await ctx.stores.transaction(async (tx) => {
    await ctx.stores.logoutDeliveries.remove(delivery.id, tx);
    const type = outcome.kind === 'delivered' ? 'logout.backchannel_delivered' : 'logout.backchannel_failed';
    const error = outcome.kind === 'delivered' ? {} : { error: outcome.error };
    await ctx.stores.audit.record({ type, clientId: delivery.clientId, userId: delivery.userId, details: { ...details, ...error } }, settledAt, tx);
  });
  if (outcome.kind !== 'delivered') ctx.logger.warn({ clientId: delivery.clientId, ...details, error: outcome.error }, 'back-channel logout given up');
  return outcome.kind === 'delivered' ? 'delivered' : 'final';
}

export interface DeliveryRun {
  delivered: number;
  retried: number;
  failed: number;
}

/** One pass over the due deliveries (a bounded batch, in parallel). */
export async function deliverDue(ctx: Context): Promise<DeliveryRun> {
  const due = await ctx.stores.logoutDeliveries.due(ctx.clock(), DELIVERY_BATCH);
  const results = await Promise.all(due.map((delivery) => processDelivery(ctx, delivery).catch((error: unknown) => {
    // The claim lapses after CLAIM_LEASE, so a storage failure here only delays the delivery.
    ctx.logger.error({ err: error, deliveryId: delivery.id }, 'back-channel logout delivery failed');
    return 'skipped' as const;
  })));
  return {
    delivered: results.filter((r) => r === 'delivered').length,
    retried: results.filter((r) => r === 'retry').length,
    failed: results.filter((r) => r === 'final').length,
  };
}
