/**
 * The scheduled retention pass on each node: expired codes, tokens, sessions and replay entries, and
 * audit events older than AUDIT_RETENTION, deleted in bounded batches (storage/knex/retention.ts).
 * Running it on several nodes at once is harmless: each delete removes what is still there.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.1.1: how long logs are kept)
 */
import type { Context } from '../server/context.js';
import { DEFAULT_RETENTION, purgeExpired } from '../storage/knex/retention.js';

/** How often each node runs the pass. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/** One pass with the configured audit retention; returns the rows deleted per table. */
export function runRetention(ctx: Context): Promise<Record<string, number>> {
  return purgeExpired(ctx.stores.db, ctx.clock(), { ...DEFAULT_RETENTION, auditRetentionSeconds: ctx.config.auditRetention });
}

/** Runs the pass hourly (never two at once); returns the stop hook. */
export function startRetention(ctx: Context): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const pass = () => {
    running ??= runRetention(ctx)
      .then((deleted) => ctx.logger.debug({ deleted }, 'retention pass'))
      .catch((error: unknown) => ctx.logger.error({ err: error }, 'retention pass failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(pass, RETENTION_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
