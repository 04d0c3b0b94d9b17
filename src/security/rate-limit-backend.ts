/**
 * Where rate-limit counters live: in process memory (one node, the default) or in Redis (several
 * nodes share every limit). Both stores increment atomically, in-process or by a Lua script, so a
 * limit of N admits exactly N requests however many arrive at once.
 * @spec https://github.com/animir/node-rate-limiter-flexible/wiki/Redis
 * @spec https://github.com/animir/node-rate-limiter-flexible/wiki/Insurance-Strategy
 */
import { once } from 'node:events';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface LimiterSpec {
  keyPrefix: string;
  points: number;
  /** Seconds. */
  duration: number;
}

export interface RateLimitBackend {
  readonly kind: 'memory' | 'redis';
  limiter(spec: LimiterSpec): RateLimiterAbstract;
  close(): Promise<void>;
}

export function memoryBackend(): RateLimitBackend {
  return {
    kind: 'memory',
    limiter: (spec) => new RateLimiterMemory(spec),
    close: async () => undefined,
  };
}

export interface RedisBackendOptions {
  /** How long start-up waits for Redis before carrying on with in-process counters. */
  connectWaitMs?: number;
  /** A command slower than this counts as Redis being down for that request. */
  commandTimeoutMs?: number;
}

/** `castellan:HOST:PID`: which node a connection in Redis's CLIENT LIST belongs to. */
export function redisConnectionName(): string {
  return `castellan:${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}:${process.pid}`;
}

/**
 * Redis-backed limiters. The client queues nothing while disconnected (the library's advice), so a
 * Redis outage fails each call at once; every limiter then falls back to an in-memory insurance
 * limiter with the same rule: limits keep holding per node instead of failing open. The outage and
 * the recovery are logged once each.
 */
export async function redisBackend(url: string, logger: Logger, options: RedisBackendOptions = {}): Promise<RateLimitBackend> {
  const client = new Redis(url, {
    // Each node's connection is named in Redis's CLIENT LIST (host and process).
    connectionName: redisConnectionName(),
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: options.connectWaitMs ?? 3000,
  });
  const where = redisLocation(url);
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ redis: where, err: { message: error.message } }, 'Redis unavailable: rate limits fall back to per-node in-memory counters');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: where }, 'Redis reachable again: rate limits are shared across nodes');
  });
  await waitUntilReady(client, options.connectWaitMs ?? 3000);
  return {
    kind: 'redis',
    limiter: (spec) =>
      new RateLimiterRedis({
        ...spec,
        storeClient: client,
        // Fall back at once while disconnected instead of waiting for the client's own error.
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(spec),
      }),
    async close() {
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}

async function waitUntilReady(client: Redis, ms: number): Promise<void> {
  if (client.status === 'ready') return;
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(), ms);
  try {
    await once(client, 'ready', { signal: timer.signal });
  } catch {
    // Not reachable yet: the insurance limiters serve until it is.
  } finally {
    clearTimeout(timeout);
  }
}

/** host:port/db for logs; the URL's password never leaves this function. */
function redisLocation(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 6379}${parsed.pathname}`;
  } catch {
    return 'redis';
  }
}
