/**
 * Forgetting rate-limit and login-throttle counters on demand (the test control API's reset), in
 * each place they can live: this process's memory, the primary of a node running workers, Redis.
 * Only keys in the node's namespace (`castellan:...`) go; a Redis shared with other applications
 * keeps everything else, so this never flushes a database.
 * @spec https://redis.io/docs/latest/commands/scan/
 * @spec https://redis.io/docs/latest/commands/unlink/
 * @spec https://nodejs.org/api/cluster.html#event-message_1
 */
import { randomUUID } from 'node:crypto';
import cluster, { type Worker } from 'node:cluster';
import type { Redis } from 'ioredis';
import type { RateLimiterMemory } from 'rate-limiter-flexible';
import type { WorkerMessages } from './cluster-limit-store.js';

/** Whether a limiter's key prefix (`castellan:rl:token`) lies in a namespace (`castellan`). */
export const inNamespace = (keyPrefix: string, namespace: string): boolean => keyPrefix === namespace || keyPrefix.startsWith(`${namespace}:`);

interface MemoryStorage {
  _storage: Map<string, unknown>;
  delete(key: string): boolean;
}

/**
 * Empties one in-memory limiter and returns how many keys it held. rate-limiter-flexible offers no
 * way to drop every key of a limiter, so this reaches its storage; a release that moves it fails
 * here loudly rather than leaving counters behind unnoticed.
 */
export function emptyMemoryLimiter(limiter: RateLimiterMemory): number {
  const storage = (limiter as unknown as { _memoryStorage?: Partial<MemoryStorage> })._memoryStorage;
  if (!(storage?._storage instanceof Map) || typeof storage.delete !== 'function') throw new Error('rate-limiter-flexible changed its in-memory storage: counters cannot be cleared');
  const keys = [...storage._storage.keys()];
  // delete() also stops each key's expiry timer.
  for (const key of keys) storage.delete(key);
  return keys.length;
}

/** `castellan` as a SCAN pattern matching exactly the keys under `castellan:`. */
const patternOf = (namespace: string) => `${namespace.replace(/[*?[\]\\]/g, '\\$&')}:*`;

/** Longest one reset may spend scanning Redis: SCAN walks the whole database, not only the namespace. */
export const REDIS_CLEAR_BUDGET_MS = 5000;

/**
 * Deletes every key under `namespace:` in Redis, a batch per SCAN step; returns how many went. Each
 * step is bounded by the client's command timeout, and the whole walk by `deadline`: past it, it
 * stops with an error (the reset answers 503) and what is deleted stays deleted, so a retry finishes.
 */
export async function deleteRedisNamespace(client: Redis, namespace: string, deadline = Date.now() + REDIS_CLEAR_BUDGET_MS): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    if (Date.now() > deadline) throw new Error(`Redis keys under ${namespace}: remain after ${deleted} were deleted; the scan ran past its deadline`);
    const [next, keys] = await client.scan(cursor, 'MATCH', patternOf(namespace), 'COUNT', 1000);
    if (keys.length > 0) deleted += await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

/** A worker's request that the primary forget the counters under a namespace, and its answer. */
const CLEAR_CHANNEL = 'castellan:counters-clear';
interface ClearRequest { channel: typeof CLEAR_CHANNEL; id: string; namespace: string }
interface ClearAnswer { channel: typeof CLEAR_CHANNEL; id: string; cleared?: number; error?: string }

const isRequest = (message: unknown): message is ClearRequest => {
  const request = message as Partial<ClearRequest> | null;
  return request?.channel === CLEAR_CHANNEL && typeof request.id === 'string' && typeof request.namespace === 'string';
};

/** In the primary: answers the workers' clear requests by emptying its limiters under the namespace. Returns the stop function. */
export function answerClearRequests(limitersIn: (namespace: string) => RateLimiterMemory[], from: WorkerMessages = cluster as unknown as WorkerMessages): () => void {
  const answer = (worker: Pick<Worker, 'send'>, message: unknown) => {
    if (!isRequest(message)) return;
    let reply: ClearAnswer;
    try {
      reply = { channel: CLEAR_CHANNEL, id: message.id, cleared: limitersIn(message.namespace).reduce((sum, limiter) => sum + emptyMemoryLimiter(limiter), 0) };
    } catch (error) {
      reply = { channel: CLEAR_CHANNEL, id: message.id, error: (error as Error).message };
    }
    worker.send(reply);
  };
  from.on('message', answer);
  return () => from.off('message', answer);
}

/** The IPC channel of a worker to its primary (the process itself; a stand-in in tests). */
export interface PrimaryLink {
  send?(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** In a worker: asks the primary to forget the counters under `namespace`; resolves with how many it dropped. */
export function askPrimaryToClear(namespace: string, timeoutMs: number, link: PrimaryLink = process): Promise<number> {
  const id = randomUUID();
  return new Promise<number>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      link.off('message', listen);
    };
    const listen = (message: unknown) => {
      const answer = message as Partial<ClearAnswer> | null;
      if (answer?.channel !== CLEAR_CHANNEL || answer.id !== id) return;
      done();
      if (typeof answer.cleared === 'number') resolve(answer.cleared);
      else reject(new Error(`the primary could not clear its counters: ${answer.error ?? 'no answer'}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('the primary did not confirm clearing its counters in time'));
    }, timeoutMs);
    link.on('message', listen);
    if (!link.send?.({ channel: CLEAR_CHANNEL, id, namespace } satisfies ClearRequest)) {
      done();
      reject(new Error('no primary to clear counters in: this process is not a worker'));
    }
  });
}
