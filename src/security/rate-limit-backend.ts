/**
 * Where rate-limit counters live: in process memory (one node, the default), in the primary process
 * of a node running several workers (each worker asks it over node:cluster's IPC channel), or in
 * Redis (several nodes share every limit). Every store increments atomically, in one process or by a
 * Lua script, so a limit of N admits exactly N requests however many arrive at once.
 * @spec https://github.com/animir/node-rate-limiter-flexible/wiki/Cluster
 * @spec https://github.com/animir/node-rate-limiter-flexible/wiki/Redis
 * @spec https://github.com/animir/node-rate-limiter-flexible/wiki/Insurance-Strategy
 */
import { once } from 'node:events';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterLike } from 'rate-limiter-flexible';
import { PrimaryCountedLimiter, startPrimaryLimitStore, type PrimaryLimitStore } from './cluster-limit-store.js';
import { FaultEpisodes } from '../storage/fault-episodes.js';
import { answerClearRequests, askPrimaryToClear, deleteRedisNamespace, emptyMemoryLimiter, inNamespace } from './counter-reset.js';

export interface LimiterSpec {
  keyPrefix: string;
  points: number;
  /** Seconds. */
  duration: number;
}

export interface RateLimitBackend {
  readonly kind: 'memory' | 'cluster' | 'redis';
  limiter(spec: LimiterSpec): RateLimiterLike;
  /**
   * Forgets every counter under `namespace` (`castellan`: keys `castellan:...`) wherever this store
   * keeps them, for the test control API's reset; resolves with how many keys went.
   */
  clear(namespace: string): Promise<number>;
  close(): Promise<void>;
}

/** In-memory limiters made on demand, remembered so that `clear` can empty them. */
function memoryLimiters() {
  const made: RateLimiterMemory[] = [];
  return {
    make(spec: LimiterSpec): RateLimiterMemory {
      const limiter = new RateLimiterMemory(spec);
      made.push(limiter);
      return limiter;
    },
    clear: (namespace: string) => made.filter((limiter) => inNamespace(limiter.keyPrefix, namespace)).reduce((sum, limiter) => sum + emptyMemoryLimiter(limiter), 0),
  };
}

export function memoryBackend(): RateLimitBackend {
  const limiters = memoryLimiters();
  return {
    kind: 'memory',
    limiter: (spec) => limiters.make(spec),
    clear: async (namespace) => limiters.clear(namespace),
    close: async () => undefined,
  };
}

/**
 * How long a worker waits for the primary's answer. The primary answers from memory in microseconds;
 * only a primary stuck in a long synchronous job could be slower, and then the request fails rather
 * than waiting without bound.
 */
const CLUSTER_ANSWER_MS = 3_000;

/**
 * The store of a worker process: every counter lives in the primary (startClusterLimitStore), so N
 * workers together admit exactly what one process would (cluster-limit-store.ts: each turn's
 * operations go to the primary in one message).
 */
export function clusterBackend(): RateLimitBackend {
  return {
    kind: 'cluster',
    limiter: (spec) => new PrimaryCountedLimiter(spec, CLUSTER_ANSWER_MS),
    clear: (namespace) => askPrimaryToClear(namespace, CLUSTER_ANSWER_MS),
    close: async () => undefined,
  };
}

let primaryStore: PrimaryLimitStore | undefined;

/**
 * In the primary, before the first fork: answers the workers' limiter calls from memory, and their
 * requests to clear those counters (counter-reset.ts). Once per process.
 */
export function startClusterLimitStore(): void {
  if (primaryStore) return;
  primaryStore = startPrimaryLimitStore();
  answerClearRequests(primaryStore.limitersIn);
}

/** Where a limiter falls back while Redis is down: this process's memory, or the primary's in a cluster. */
export type InsuranceStore = 'memory' | 'cluster';

export interface RedisBackendOptions {
  /**
   * Workers of one node fall back to the primary's counters, so during an outage the node as a
   * whole keeps each limit (per node, as a single process would) instead of each worker doing so.
   */
  insurance?: InsuranceStore;
  /** How long start-up waits for Redis before carrying on with in-process counters. */
  connectWaitMs?: number;
  /** A command slower than this counts as Redis being down for that request. */
  commandTimeoutMs?: number;
}

/** `castellan:HOST:PID`: which node a connection in Redis's CLIENT LIST belongs to. */
export function redisConnectionName(): string {
  return `castellan:${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}:${process.pid}`;
}

/** How often a tripped breaker asks Redis whether it answers again. */
const PROBE_INTERVAL_MS = 2_000;

/**
 * Whether Redis is trusted right now. A command that fails or times out trips it: from then on
 * every limiter uses its in-memory insurance limiter directly, so a stalled Redis costs one
 * timeout, not one per request. In the background a PING (with the same timeout) probes Redis;
 * the first answer closes the breaker. Each trip and each recovery is logged once.
 */
class RedisBreaker {
  /** The breaker is open exactly while a fault episode lasts (storage/fault-episodes.ts logs each once). */
  private readonly episodes = new FaultEpisodes('redis');
  private probe: NodeJS.Timeout | undefined;

  constructor(private readonly client: Redis, logger: Logger, where: string, private readonly timeoutMs: number) {
    this.episodes.reportTo((report) => {
      if (report.state === 'failing') logger.warn({ redis: where, cause: report.cause }, 'Redis unavailable: rate limits fall back to per-node in-memory counters');
      else logger.info({ redis: where, failures: report.failures, durationMs: report.durationMs }, 'Redis reachable again: rate limits are shared across nodes');
    });
  }

  get tripped(): boolean {
    return this.episodes.failing;
  }

  trip(cause: string): void {
    const opening = !this.episodes.failing;
    this.episodes.failed(cause);
    if (!opening) return;
    this.probe = setInterval(() => void this.tryClose(), PROBE_INTERVAL_MS);
    this.probe.unref();
  }

  private async tryClose(): Promise<void> {
    if (this.client.status !== 'ready') return;
    const answered = await Promise.race([
      this.client.ping().then(() => true, () => false),
      new Promise<boolean>((resolve) => setTimeout(resolve, this.timeoutMs, false).unref()),
    ]);
    if (!answered || !this.tripped) return;
    clearInterval(this.probe);
    this.episodes.succeeded();
  }

  stop(): void {
    clearInterval(this.probe);
  }
}

/** The insurance limiter: used only when a Redis call failed, so being used trips the breaker. */
function trippingLimiter(limiter: RateLimiterLike, breaker: RedisBreaker): RateLimiterLike {
  for (const method of ['consume', 'penalty', 'reward', 'block', 'get', 'delete'] as const) {
    const own = limiter[method].bind(limiter) as (...args: unknown[]) => unknown;
    (limiter as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      breaker.trip('a Redis command failed or timed out');
      return own(...args);
    };
  }
  return limiter;
}

/** Redis while the breaker is closed; the insurance limiter, directly, while it is tripped. */
function breakerLimiter(redis: RateLimiterRedis, insurance: RateLimiterLike, breaker: RedisBreaker): RateLimiterLike {
  return new Proxy(redis, {
    get(target, property) {
      const chosen: object = breaker.tripped ? insurance : target;
      const value = Reflect.get(chosen, property) as unknown;
      return typeof value === 'function' ? value.bind(chosen) : value;
    },
  });
}

/**
 * Redis-backed limiters. The client queues nothing while disconnected (the library's advice) and
 * each command waits at most `commandTimeoutMs`, so a Redis outage or stall fails a call quickly;
 * every limiter then falls back to an in-memory insurance limiter with the same rule (limits keep
 * holding per node instead of failing open), and the breaker keeps using it until Redis answers.
 */
export async function redisBackend(url: string, logger: Logger, options: RedisBackendOptions = {}): Promise<RateLimitBackend> {
  const timeoutMs = options.commandTimeoutMs ?? 1000;
  const client = new Redis(url, {
    // Each node's connection is named in Redis's CLIENT LIST (host and process).
    connectionName: redisConnectionName(),
    enableOfflineQueue: false,
    commandTimeout: timeoutMs,
    connectTimeout: options.connectWaitMs ?? 3000,
  });
  const breaker = new RedisBreaker(client, logger, redisLocation(url), timeoutMs);
  client.on('error', (error: Error) => breaker.trip(error.message));
  await waitUntilReady(client, options.connectWaitMs ?? 3000);
  const memoryInsurance = memoryLimiters();
  return {
    kind: 'redis',
    limiter: (spec) => {
      const local = options.insurance === 'cluster' ? new PrimaryCountedLimiter(spec, CLUSTER_ANSWER_MS) : memoryInsurance.make(spec);
      const insurance = trippingLimiter(local, breaker);
      // rejectIfRedisNotReady: fall back at once while disconnected instead of waiting for the client's own error.
      return breakerLimiter(new RateLimiterRedis({ ...spec, storeClient: client, rejectIfRedisNotReady: true, insuranceLimiter: insurance }), insurance, breaker);
    },
    // The insurance counters of an outage go too, so a reset leaves nothing to fall back on.
    async clear(namespace) {
      const local = options.insurance === 'cluster' ? await askPrimaryToClear(namespace, CLUSTER_ANSWER_MS) : memoryInsurance.clear(namespace);
      return local + (await deleteRedisNamespace(client, namespace));
    },
    async close() {
      breaker.stop();
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
