/**
 * How long a node waits for its dependencies: each database or Redis operation, and the database
 * at start-up. Timeouts are ISO 8601 durations whose seconds may have a fraction (PT0.5S).
 */

export interface StorageConfig {
  /** Milliseconds one database operation may wait (connection, lock, statement) before answering 503. */
  databaseTimeout: number;
  /** Milliseconds one Redis command may wait before the rate limits fall back to memory. */
  redisTimeout: number;
  /** Milliseconds start-up keeps retrying an unreachable database before it gives up. */
  databaseStartupWait: number;
}

const TIMEOUT = /^PT(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?$/;

/** `PT3S`, `PT0.5S`, `PT1M30S` as milliseconds; undefined unless between 50 ms and 10 minutes. */
export function asTimeoutMs(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || raw === 'PT') return undefined;
  const match = TIMEOUT.exec(raw);
  if (!match) return undefined;
  const ms = Math.round((Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 1000);
  return ms >= 50 && ms <= 600_000 ? ms : undefined;
}
