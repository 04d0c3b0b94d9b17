/**
 * The counters of a node with workers, kept in the primary: exact across workers, one message per
 * turn of a worker's event loop, the library's answers (RateLimiterRes) intact, a bounded wait.
 */
import { EventEmitter } from 'node:events';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { PrimaryCountedLimiter, startPrimaryLimitStore } from '../../src/security/cluster-limit-store.js';
import { standInCluster } from './stand-in-cluster.js';

const rule = (keyPrefix: string, points: number) => ({ keyPrefix, points, duration: 60 });
const settled = (calls: Promise<unknown>[]) => Promise.allSettled(calls).then((results) => ({
  admitted: results.filter((result) => result.status === 'fulfilled').length,
  refused: results.filter((result) => result.status === 'rejected' && result.reason instanceof RateLimiterRes).length,
}));

describe('cluster limit store: counters in the primary', () => {
  it('MUST admit exactly the limit across workers calling at once', async () => {
    const primary = new EventEmitter();
    const store = startPrimaryLimitStore(primary);
    const workers = [standInCluster(primary), standInCluster(primary), standInCluster(primary)];
    const limiters = workers.map(({ channel }) => new PrimaryCountedLimiter(rule('castellan:rl:token', 30), 1000, channel));
    const calls = limiters.flatMap((limiter) => Array.from({ length: 40 }, () => limiter.consume('client-a')));
    expect(await settled(calls)).toEqual({ admitted: 30, refused: 90 });
    // Another key has its own window.
    await expect(limiters[1].consume('client-b')).resolves.toMatchObject({ consumedPoints: 1, remainingPoints: 29 });
    store.stop();
  });

  it('MUST send the calls of one turn as one message', async () => {
    const primary = new EventEmitter();
    const store = startPrimaryLimitStore(primary);
    const { channel, sent } = standInCluster(primary);
    const limiter = new PrimaryCountedLimiter(rule('castellan:rl:introspection', 100), 1000, channel);
    await Promise.all(Array.from({ length: 25 }, (_, i) => limiter.consume(`key-${i % 5}`)));
    // The definition, then a single batch of 25 calls.
    expect(sent).toHaveLength(2);
    expect((sent[1] as { calls: unknown[] }).calls).toHaveLength(25);
    await limiter.consume('key-0');
    expect(sent).toHaveLength(3);
    store.stop();
  });

  it('MUST pass every operation\'s answer through as the library gives it', async () => {
    const primary = new EventEmitter();
    const store = startPrimaryLimitStore(primary);
    const { channel } = standInCluster(primary);
    const limiter = new PrimaryCountedLimiter(rule('castellan:violations:token', 5), 1000, channel);
    expect(await limiter.get('k')).toBeNull();
    await expect(limiter.penalty('k', 2)).resolves.toMatchObject({ consumedPoints: 2, remainingPoints: 3 });
    await expect(limiter.reward('k', 1)).resolves.toMatchObject({ consumedPoints: 1 });
    const blocked = await limiter.block('k', 30);
    expect(blocked).toBeInstanceOf(RateLimiterRes);
    expect(blocked.msBeforeNext).toBeGreaterThan(29_000);
    const refusal = await limiter.consume('k').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RateLimiterRes);
    expect((refusal as RateLimiterRes).remainingPoints).toBe(0);
    expect(await limiter.delete('k')).toBe(true);
    await expect(limiter.consume('k')).resolves.toMatchObject({ consumedPoints: 1 });
    store.stop();
  });

  it('MUST keep the first definition of a limiter when a replacement worker defines it again', async () => {
    const primary = new EventEmitter();
    const store = startPrimaryLimitStore(primary);
    const first = new PrimaryCountedLimiter(rule('castellan:rl:userinfo', 1), 1000, standInCluster(primary).channel);
    await first.consume('k');
    const replacement = new PrimaryCountedLimiter(rule('castellan:rl:userinfo', 1), 1000, standInCluster(primary).channel);
    await expect(replacement.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
    expect(store.limitersIn('castellan')).toHaveLength(1);
    store.stop();
  });

  it('MUST fail a call, not wait without bound, when the primary does not answer', async () => {
    const worker = standInCluster();
    worker.silence();
    const limiter = new PrimaryCountedLimiter(rule('castellan:rl:token', 10), 50, worker.channel);
    await expect(limiter.consume('k')).rejects.toThrow('did not answer');
    const orphan = new PrimaryCountedLimiter(rule('castellan:rl:token', 10), 50, { on: () => undefined });
    await expect(orphan.consume('k')).rejects.toThrow('not a worker');
  });

  it('MUST answer an unknown limiter with an error, not a count', async () => {
    const primary = new EventEmitter();
    const store = startPrimaryLimitStore(primary);
    const replies: unknown[] = [];
    primary.emit('message', { send: (message: unknown) => replies.push(message), isConnected: () => true }, { channel: 'castellan:limits', calls: [[1, 'castellan:rl:nowhere', 'consume', 'k', 1]] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(replies).toEqual([{ channel: 'castellan:limits', answers: [[1, 'error', 'no limiter castellan:rl:nowhere in the primary']] }]);
    store.stop();
  });
});
