/**
 * What every handler may depend on: configuration, stores, keys, a clock and a logger. Handlers get
 * time only from `clock` so tests can move past expiry without sleeping.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { Stores } from '../storage/stores.js';
import type { Keystore } from '../tokens/keystore.js';
import type { Sealer } from '../tokens/master-key.js';

export interface Context {
  config: Config;
  stores: Stores;
  keystore: Keystore;
  sealer: Sealer;
  /** Seconds since the epoch. */
  clock: () => number;
  logger: Logger;
  /** Rate-limit counters (in memory, or shared through Redis when REDIS_URL is set). */
  limits: RateLimits;
  /** Resources to release when the node stops (the Redis client, ...), run in order by `releaseContext`. */
  shutdown: (() => Promise<void>)[];
}

/**
 * A time of the clock (epoch seconds) as people read it, in pages, the CLI and messages:
 * ISO 8601 UTC to the second (`2026-01-02T03:04:05Z`); `-` for a time that is not set.
 */
export function isoTime(epochSeconds: number | null | undefined): string {
  return epochSeconds === null || epochSeconds === undefined ? '-' : new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Runs the context's shutdown hooks; the stores are closed by whoever opened them. */
export async function releaseContext(ctx: Pick<Context, 'shutdown'>): Promise<void> {
  for (const hook of ctx.shutdown.splice(0)) await hook();
}

export const systemClock = (): number => Math.floor(Date.now() / 1000);
