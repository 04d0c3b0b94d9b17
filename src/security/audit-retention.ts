/**
 * The scheduled retention pass on each node: expired codes, tokens, sessions and replay entries, and
 * audit events older than AUDIT_RETENTION, deleted in bounded batches (storage/sql/retention.ts).
 * Running it on several nodes at once is harmless: each delete removes what is still there.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.1.1: how long logs are kept)
 */
import type { Context } from '../server/context.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../storage/sql/retention.js';

/** How often each node runs the pass when there is no backlog. */
export const RETENTION_INTERVAL_MS = 5 * 60 * 1000;
/** Pause between passes while a backlog remains, so other queries get the database in between. */
export const BACKLOG_PAUSE_MS = 1000;

/** One pass with the configured audit retention; returns the rows deleted per table. */
export function runRetention(ctx: Context, policy: RetentionPolicy = DEFAULT_RETENTION): Promise<Record<string, number>> {
  return ctx.stores.retention.purgeExpired(ctx.clock(), { ...policy, auditRetentionSeconds: ctx.config.auditRetention, requestTraceRetentionSeconds: ctx.config.inspectorRetention });
}

export interface RetentionSchedule {
  /** Delay before the first pass. */
  initialMs: number;
  idleMs: number;
  backlogMs: number;
  policy: RetentionPolicy;
}

const DEFAULT_SCHEDULE: RetentionSchedule = { initialMs: RETENTION_INTERVAL_MS, idleMs: RETENTION_INTERVAL_MS, backlogMs: BACKLOG_PAUSE_MS, policy: DEFAULT_RETENTION };

/** True when a pass stopped at its per-table cap: more expired rows are waiting. */
export function backlogRemains(deleted: Record<string, number>, policy: RetentionPolicy = DEFAULT_RETENTION): boolean {
  return Object.values(deleted).some((count) => count >= policy.maxBatchesPerTable * policy.batchSize);
}

/**
 * Runs the pass every RETENTION_INTERVAL_MS (never two at once) and, while a pass ends at its cap,
 * again after BACKLOG_PAUSE_MS: the deletion rate follows the issuance rate instead of a fixed
 * 100,000 rows per table per interval, so storage stays bounded under any steady load. Returns the stop hook.
 */
export function startRetention(ctx: Context, options: Partial<RetentionSchedule> = {}): () => Promise<void> {
  const intervals = { ...DEFAULT_SCHEDULE, ...options };
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(pass, delay);
    timer.unref();
  };
  const pass = () => {
    running = runRetention(ctx, intervals.policy)
      .then((deleted) => {
        ctx.logger.debug({ deleted }, 'retention pass');
        return backlogRemains(deleted, intervals.policy);
      })
      .catch((error: unknown) => {
        ctx.logger.error({ err: error }, 'retention pass failed');
        return false;
      })
      .then((backlog) => {
        running = undefined;
        schedule(backlog ? intervals.backlogMs : intervals.idleMs);
      });
  };
  schedule(intervals.initialMs);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
