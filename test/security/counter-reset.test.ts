/**
 * Forgetting counters where they live: in-memory limiters, the primary of a node with workers (its
 * counters in cluster-limit-store.ts, reached over a stand-in for the IPC channel), and Redis
 * (only the node's namespace).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { PrimaryCountedLimiter, startPrimaryLimitStore } from '../../src/security/cluster-limit-store.js';
import { answerClearRequests, askPrimaryToClear, deleteRedisNamespace, emptyMemoryLimiter, inNamespace, type PrimaryLink } from '../../src/security/counter-reset.js';
import { standInCluster } from './stand-in-cluster.js';

describe('counter reset: in-memory limiters', () => {
  it('MUST empty a limiter so a refused key is admitted again, and count the keys it held', async () => {
    const limiter = new RateLimiterMemory({ keyPrefix: 'castellan:rl:token', points: 1, duration: 60 });
    await limiter.consume('a');
    await limiter.consume('b');
    await expect(limiter.consume('a')).rejects.toMatchObject({ remainingPoints: 0 });
    expect(emptyMemoryLimiter(limiter)).toBe(2);
    await expect(limiter.consume('a')).resolves.toMatchObject({ consumedPoints: 1 });
  });

  it('MUST take a namespace as a whole key segment', () => {
    expect(inNamespace('castellan:rl:token', 'castellan')).toBe(true);
    expect(inNamespace('castellan', 'castellan')).toBe(true);
    expect(inNamespace('castellan-staging:rl:token', 'castellan')).toBe(false);
  });
});

describe('counter reset: the primary of a node with workers', () => {
  it('MUST empty the primary\'s counters under the namespace when a worker asks, and answer how many went', async () => {
    const { primary, channel, link } = standInCluster();
    const store = startPrimaryLimitStore(primary);
    answerClearRequests(store.limitersIn, primary);
    const namespace = `castellan-${randomBytes(4).toString('hex')}`;
    const limiter = new PrimaryCountedLimiter({ keyPrefix: `${namespace}:rl:token`, points: 1, duration: 60 }, 1000, channel);
    const other = new PrimaryCountedLimiter({ keyPrefix: `${namespace}-other:rl:token`, points: 1, duration: 60 }, 1000, channel);
    await limiter.consume('k');
    await other.consume('k');
    await expect(limiter.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);

    expect(await askPrimaryToClear(namespace, 1000, link)).toBe(1);
    await expect(limiter.consume('k')).resolves.toMatchObject({ consumedPoints: 1 });
    // Another namespace in the same primary keeps its counters.
    await expect(other.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
  });

  it('MUST fail the clear, rather than report it done, when the primary does not answer in time', async () => {
    const silent: PrimaryLink = { send: () => true, on: () => undefined, off: () => undefined };
    await expect(askPrimaryToClear('castellan', 50, silent)).rejects.toThrow('did not confirm');
    await expect(askPrimaryToClear('castellan', 50, { on: () => undefined, off: () => undefined })).rejects.toThrow('not a worker');
  });
});

const REDIS_URL = process.env.REDIS_URL;

describe.skipIf(!REDIS_URL)(`counter reset: Redis${REDIS_URL ? '' : ' (skipped: REDIS_URL is not set)'}`, () => {
  it('MUST delete every key under the namespace, across SCAN batches, and no other key', async () => {
    const redis = new Redis(REDIS_URL as string);
    // Glob characters in the namespace are matched literally.
    const base = `castellan-test-${randomBytes(4).toString('hex')}`;
    const namespace = `${base}*[x]`;
    // The second would match the namespace read as a pattern.
    const others = [`${namespace}x:a`, `${base}ANYx:a`, `other:${namespace}:a`];
    try {
      const pipeline = redis.pipeline();
      for (let i = 0; i < 1200; i++) pipeline.set(`${namespace}:rl:token:${i}`, '1', 'EX', 60);
      for (const key of others) pipeline.set(key, '1', 'EX', 60);
      await pipeline.exec();
      expect(await deleteRedisNamespace(redis, namespace)).toBe(1200);
      expect(await redis.exists(...others)).toBe(others.length);
      expect(await deleteRedisNamespace(redis, namespace)).toBe(0);
    } finally {
      await redis.del(...others);
      await redis.quit();
    }
  });

  it('MUST stop at its deadline with the keys it has not reached left in place, and finish on a retry', async () => {
    const redis = new Redis(REDIS_URL as string);
    const namespace = `castellan-test-${randomBytes(4).toString('hex')}`;
    try {
      const pipeline = redis.pipeline();
      for (let i = 0; i < 50; i++) pipeline.set(`${namespace}:rl:token:${i}`, '1', 'EX', 60);
      await pipeline.exec();
      await expect(deleteRedisNamespace(redis, namespace, Date.now() - 1)).rejects.toThrow(/past its deadline/);
      expect(await redis.exists(`${namespace}:rl:token:0`)).toBe(1);
      expect(await deleteRedisNamespace(redis, namespace)).toBe(50);
    } finally {
      await redis.quit();
    }
  });
});
