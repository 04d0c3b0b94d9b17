/**
 * Deletes what can no longer be used (expired codes, tokens, sessions, interactions, replay entries,
 * grants past their lifetime) and audit rows beyond retention, in small batches so a large backlog
 * never holds a long lock. Storage stays bounded under steady load.
 */
import type { RetentionStore } from '../stores.js';
import type { Database } from './statements.js';

export interface RetentionPolicy {
  /** Rows deleted per statement. */
  batchSize: number;
  /** Seconds kept after expiry, so a late replay of a code is still recognised as a replay. */
  graceSeconds: number;
  /** Audit events older than this many seconds are deleted. */
  auditRetentionSeconds: number;
  /** Upper bound on statements per run, so one run has a bounded cost. */
  maxBatchesPerTable: number;
  /** Request inspector recordings older than this many seconds are deleted (INSPECTOR_RETENTION); a day when absent. */
  requestTraceRetentionSeconds?: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { batchSize: 1_000, graceSeconds: 86_400, auditRetentionSeconds: 90 * 86_400, maxBatchesPerTable: 100 };

interface Target {
  table: string;
  key: string;
  column: string;
  cutoff: (now: number, policy: RetentionPolicy) => number;
}

const afterGrace = (now: number, policy: RetentionPolicy) => now - policy.graceSeconds;

const TARGETS: Target[] = [
  { table: 'authorization_codes', key: 'code_hash', column: 'expires_at', cutoff: afterGrace },
  { table: 'refresh_tokens', key: 'token_hash', column: 'expires_at', cutoff: afterGrace },
  { table: 'access_tokens', key: 'token_hash', column: 'expires_at', cutoff: afterGrace },
  { table: 'interactions', key: 'uid_hash', column: 'expires_at', cutoff: (now) => now },
  { table: 'mfa_challenges', key: 'uid_hash', column: 'expires_at', cutoff: (now) => now },
  { table: 'sessions', key: 'id_hash', column: 'absolute_expires_at', cutoff: (now) => now },
  // RFC 8628: past expires_at a device code can only be answered expired_token, so the row has no use.
  { table: 'refresh_retry_answers', key: 'parent_hash', column: 'expires_at', cutoff: (now) => now },
  { table: 'device_authorizations', key: 'device_code_hash', column: 'expires_at', cutoff: (now) => now },
  // RFC 9126 §4: past expires_at a request_uri is refused at /authorize, but a sign-in that read it
  // before then uses it up when its code is issued (up to INTERACTION_TTL later): kept for the grace.
  { table: 'pushed_authorization_requests', key: 'handle_hash', column: 'expires_at', cutoff: afterGrace },
  { table: 'used_assertions', key: 'key_hash', column: 'expires_at', cutoff: (now) => now },
  // A grant outlives its refresh tokens by the grace period, so replay detection keeps working.
  { table: 'grants', key: 'id', column: 'expires_at', cutoff: afterGrace },
  { table: 'audit_events', key: 'id', column: 'at', cutoff: (now, policy) => now - policy.auditRetentionSeconds },
  { table: 'request_traces', key: 'id', column: 'at', cutoff: (now, policy) => now - (policy.requestTraceRetentionSeconds ?? 86_400) },
];

/**
 * One batch per statement, the text built once per table: the keys of at most `batchSize` rows past
 * the cutoff, then those rows. Parameters: cutoff, batch size.
 */
const BATCH_SQL = new Map(TARGETS.map((t) => [t.table, `delete from "${t.table}" where "${t.key}" in (select "${t.key}" from "${t.table}" where "${t.column}" < ? limit ?)`]));

export class SqlRetentionStore implements RetentionStore {
  constructor(private readonly db: Database) {}

  /** Runs one pass over every table; returns the number of rows deleted per table. */
  async purgeExpired(now: number, policy: RetentionPolicy = DEFAULT_RETENTION): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const target of TARGETS) {
      const cutoff = target.cutoff(now, policy);
      const sql = BATCH_SQL.get(target.table)!;
      let total = 0;
      for (let batch = 0; batch < policy.maxBatchesPerTable; batch += 1) {
        const count = await this.db.run(sql, [cutoff, policy.batchSize]);
        total += count;
        if (count < policy.batchSize) break;
      }
      deleted[target.table] = total;
    }
    return deleted;
  }
}
