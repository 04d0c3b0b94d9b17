/**
 * Threat detection over the audit log, run periodically on every node (THREAT_DETECTION_INTERVAL):
 * - an address with FAILED_AUTH.threshold or more failed authentications (passwords, second
 *   factors, client credentials) within FAILED_AUTH.window seconds is blocked for IP_BLOCK_DURATION;
 * - a client seen from DISTRIBUTED_CLIENT.minimumIps or more addresses with
 *   DISTRIBUTED_CLIENT.minimumRequests or more token requests within an hour is flagged (its
 *   credentials may have leaked; the operator decides, e.g. `castellan incident revoke-client`).
 * Each finding is written once (conditional inserts, so concurrent nodes agree), audited in the same
 * transaction, logged, and POSTed to THREAT_WEBHOOK_URL when one is set.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10 (credential guessing)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10 (credential guessing at the token endpoint)
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.3: security events, alerting)
 */
import type { Context } from '../server/context.js';
import { audit } from './audit.js';
import { ProxyMatcher } from './client-ip.js';
import { blocklistOf, normalizeBlockEntry } from './ip-blocklist.js';
import { sendThreatWebhook } from './threat-webhook.js';
import { announce } from '../server/cluster-notices.js';

/** Event types that are a failed authentication by whoever sent the request. */
export const FAILED_AUTHENTICATION_TYPES = ['login.failed', 'mfa.failed', 'client.auth_failed'];
/** Event types that are one token-endpoint request by a client. */
export const CLIENT_REQUEST_TYPES = ['token.issued', 'client.auth_failed'];
/** Events after which earlier failures of an address no longer count (it was blocked or an operator lifted its block). */
const RESET_TYPES = ['threat.ip_blocked', 'ip.unblocked'];

export const FAILED_AUTH = { threshold: 20, window: 600 } as const;
export const DISTRIBUTED_CLIENT = { minimumIps: 10, minimumRequests: 100, window: 3_600 } as const;

export interface Finding {
  type: 'threat.ip_blocked' | 'threat.client_flagged';
  subject: string;
  at: number;
  details: Record<string, unknown>;
}

/** Failures of `ip` since its last reset, when that reset falls inside the window. */
async function failuresSinceReset(ctx: Context, ip: string, since: number): Promise<number | undefined> {
  const [reset] = await ctx.stores.audit.list({ types: RESET_TYPES, ip, since, limit: 1 });
  if (!reset) return undefined;
  const after = await ctx.stores.audit.list({ types: FAILED_AUTHENTICATION_TYPES, ip, afterId: reset.id, limit: FAILED_AUTH.threshold });
  return after.length;
}

/** Loopback and trusted proxies are never blocked: failures "from" them mean TRUSTED_PROXIES is missing a proxy. */
function neverBlocked(ctx: Context): (ip: string) => boolean {
  const proxies = new ProxyMatcher(ctx.config.trustedProxies);
  const loopback = new ProxyMatcher(['127.0.0.0/8', '::1']);
  return (ip) => proxies.contains(ip) || loopback.contains(ip);
}

async function blockGuessers(ctx: Context, now: number): Promise<Finding[]> {
  const since = now - FAILED_AUTH.window;
  const findings: Finding[] = [];
  const exempt = neverBlocked(ctx);
  for (const candidate of await ctx.stores.audit.countByIp(FAILED_AUTHENTICATION_TYPES, since, FAILED_AUTH.threshold)) {
    const entry = normalizeBlockEntry(candidate.ip);
    if (!entry) continue;
    if (exempt(entry)) {
      ctx.logger.warn({ ip: entry, failures: candidate.count }, 'many failed authentications from a loopback or proxy address, not blocked: check TRUSTED_PROXIES');
      continue;
    }
    const failures = (await failuresSinceReset(ctx, entry, since)) ?? candidate.count;
    if (failures < FAILED_AUTH.threshold) continue;
    const expiresAt = now + ctx.config.ipBlockDuration;
    const details = { failures, window_seconds: FAILED_AUTH.window, expires_at: expiresAt };
    const blocked = await ctx.stores.transaction(async (tx) => {
      const reason = `${failures} failed authentications within ${FAILED_AUTH.window / 60} minutes`;
      // False when a block is already in force (an operator's, or another node's from this run).
      if (!(await ctx.stores.ipBlocks.add({ ip: entry, reason, source: 'detector', createdAt: now, expiresAt }, now, tx))) return false;
      await ctx.stores.findings.recordOnce({ kind: 'ip_blocked', subject: entry, details, createdAt: now, windowStart: now - (now % FAILED_AUTH.window) }, now, tx);
      await audit(ctx, undefined, { type: 'threat.ip_blocked', ip: entry, details }, tx);
      return true;
    });
    if (blocked) findings.push({ type: 'threat.ip_blocked', subject: entry, at: now, details });
  }
  return findings;
}

async function flagDistributedClients(ctx: Context, now: number): Promise<Finding[]> {
  const since = now - DISTRIBUTED_CLIENT.window;
  const findings: Finding[] = [];
  const spread = await ctx.stores.audit.clientSpread(CLIENT_REQUEST_TYPES, since, DISTRIBUTED_CLIENT.minimumIps, DISTRIBUTED_CLIENT.minimumRequests);
  for (const { clientId, ips, events } of spread) {
    const details = { addresses: ips, requests: events, window_seconds: DISTRIBUTED_CLIENT.window };
    const flagged = await ctx.stores.transaction(async (tx) => {
      // Once per client per window: a client that stays busy is not re-flagged every run.
      const finding = { kind: 'client_flagged', subject: clientId, details, createdAt: now, windowStart: now - (now % DISTRIBUTED_CLIENT.window) };
      if (!(await ctx.stores.findings.recordOnce(finding, since, tx))) return false;
      await audit(ctx, undefined, { type: 'threat.client_flagged', clientId, details }, tx);
      return true;
    });
    if (flagged) findings.push({ type: 'threat.client_flagged', subject: clientId, at: now, details });
  }
  return findings;
}

/** One detector pass: returns what it found and recorded in this run (nothing already known). */
export async function detectThreats(ctx: Context): Promise<Finding[]> {
  const now = ctx.clock();
  const findings = [...(await blockGuessers(ctx, now)), ...(await flagDistributedClients(ctx, now))];
  if (findings.some((finding) => finding.type === 'threat.ip_blocked')) {
    await blocklistOf(ctx).reload(ctx);
    // The detector runs in the primary when there are workers: they enforce the block at once.
    announce({ type: 'ip-blocks-changed' });
  }
  for (const finding of findings) {
    ctx.logger.warn({ finding: finding.type, subject: finding.subject, details: finding.details }, 'threat detected');
    await sendThreatWebhook(ctx, finding);
  }
  return findings;
}

/** Runs the detector every THREAT_DETECTION_INTERVAL (never two passes at once); returns the stop hook. */
export function startThreatDetection(ctx: Context): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const pass = () => {
    running ??= detectThreats(ctx)
      .then((findings) => ctx.logger.debug({ findings: findings.length }, 'threat detection pass'))
      .catch((error: unknown) => ctx.logger.error({ err: error }, 'threat detection failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(pass, ctx.config.threatDetectionInterval * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
