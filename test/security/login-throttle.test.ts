/**
 * The throttle mechanism on its own: budgets, doubling delays with a cap, one attempt at a time once
 * over budget (parallel bursts gain nothing), refused attempts not counted, successes clearing.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 6.3.1)
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { delayFor, LoginThrottle, type ThrottleScope } from '../../src/security/login-throttle.js';
import { memoryBackend, redisBackend, redisConnectionName } from '../../src/security/rate-limit-backend.js';
import { Redis } from 'ioredis';
import pino from 'pino';
import { attemptPassword } from '../../src/security/login-attempt.js';
import { releaseContext } from '../../src/server/context.js';
import { createTestContext } from '../support/test-context.js';

const scope = (overrides: Partial<ThrottleScope> = {}): ThrottleScope => {
  const key = `k-${randomBytes(4).toString('hex')}`;
  return { name: 'user-ip', counterKey: key, gateKey: key, budget: 3, maxDelay: 900, clearOnSuccess: true, ...overrides };
};

/** One failed attempt: admitted, then recorded as failed; returns the delays imposed. */
async function fail(throttle: LoginThrottle, scopes: ThrottleScope[]) {
  const admission = await throttle.admit(scopes);
  if (!admission.allowed) return { refused: admission.retryAfter };
  return { imposed: await throttle.failed(admission.attempt) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OWASP ASVS 5.0 6.3.1 login throttling with growing delays', () => {
  const throttles: LoginThrottle[] = [];
  const make = () => {
    const throttle = new LoginThrottle(memoryBackend(), 3600, `t${randomBytes(3).toString('hex')}`);
    throttles.push(throttle);
    return throttle;
  };
  afterEach(async () => {
    for (const throttle of throttles.splice(0)) await throttle.close();
  });

  it('MUST double the delay after each failure past the budget, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 10, 11, 40].map((k) => delayFor(k, 900))).toEqual([1, 2, 4, 8, 16, 512, 900, 900]);
    expect(delayFor(7, 60)).toBe(60);
  });

  it('MUST admit the budget without delay, then impose 1 s at the failure that uses it up', async () => {
    const throttle = make();
    const s = scope();
    expect(await fail(throttle, [s])).toEqual({ imposed: [] });
    expect(await fail(throttle, [s])).toEqual({ imposed: [] });
    expect(await fail(throttle, [s])).toEqual({ imposed: [{ name: 'user-ip', delay: 1, first: true }] });
    const refused = await throttle.admit([s]);
    expect(refused).toEqual({ allowed: false, retryAfter: 1 });
  });

  it('MUST admit the next attempt once the delay has passed, and then double it', async () => {
    const throttle = make();
    const s = scope({ budget: 1 });
    expect(await fail(throttle, [s])).toEqual({ imposed: [{ name: 'user-ip', delay: 1, first: true }] });
    await sleep(1100);
    expect(await fail(throttle, [s])).toEqual({ imposed: [{ name: 'user-ip', delay: 2, first: false }] });
    expect(await throttle.admit([s])).toMatchObject({ allowed: false, retryAfter: 2 });
  });

  it('MUST NOT count refused attempts: hammering a closed gate does not lengthen the delay', async () => {
    const throttle = make();
    const s = scope({ budget: 1 });
    await fail(throttle, [s]);
    for (let i = 0; i < 20; i += 1) expect((await throttle.admit([s])).allowed).toBe(false);
    await sleep(1100);
    // The second counted failure: delay 2, not 2^21.
    expect(await fail(throttle, [s])).toEqual({ imposed: [{ name: 'user-ip', delay: 2, first: false }] });
  });

  it('MUST admit no more than budget + 1 attempts from a parallel burst', async () => {
    const throttle = make();
    const s = scope({ budget: 3 });
    const admissions = await Promise.all(Array.from({ length: 50 }, () => throttle.admit([s])));
    expect(admissions.filter((a) => a.allowed)).toHaveLength(4);
  });

  it('MUST clear a clear-on-success scope at a success, and only reward the others', async () => {
    const throttle = make();
    const clearing = scope({ budget: 2 });
    const shared = scope({ name: 'ip', budget: 2, clearOnSuccess: false });
    await fail(throttle, [clearing, shared]);
    const ok = await throttle.admit([clearing, shared]);
    if (!ok.allowed) throw new Error('expected admission');
    await throttle.succeeded(ok.attempt);
    // clearing starts afresh (2 more free failures); shared still holds the first failure.
    expect(await fail(throttle, [clearing, shared])).toEqual({ imposed: [{ name: 'ip', delay: 1, first: true }] });
  });

  it('MUST hold a gate per address while counting per username (a soft scope slows without shutting out)', async () => {
    const throttle = make();
    const counter = `u-${randomBytes(3).toString('hex')}`;
    const fromA = scope({ name: 'user', counterKey: counter, gateKey: `${counter}|A`, budget: 2, maxDelay: 60, clearOnSuccess: false });
    const fromB = { ...fromA, gateKey: `${counter}|B` };
    await fail(throttle, [fromA]);
    await fail(throttle, [fromA]);
    expect((await throttle.admit([fromA])).allowed).toBe(false);
    // B has not failed: its first attempt passes at once although the username is over budget.
    const b = await throttle.admit([fromB]);
    expect(b.allowed).toBe(true);
    if (b.allowed) expect(await throttle.failed(b.attempt)).toEqual([{ name: 'user', delay: 2, first: false }]);
  });
});

const REDIS_URL = process.env.REDIS_URL;

describe.skipIf(!REDIS_URL)(`login throttling shared through Redis${REDIS_URL ? '' : ' (skipped: REDIS_URL is not set)'}`, () => {
  it('MUST share counters between two nodes', async () => {
    const prefix = `castellan-test-${randomBytes(4).toString('hex')}`;
    const logger = pino({ level: 'silent' });
    const nodeA = new LoginThrottle(await redisBackend(REDIS_URL as string, logger), 3600, prefix);
    const nodeB = new LoginThrottle(await redisBackend(REDIS_URL as string, logger), 3600, prefix);
    try {
      const s = scope({ budget: 2 });
      await fail(nodeA, [s]);
      expect(await fail(nodeB, [s])).toEqual({ imposed: [{ name: 'user-ip', delay: 1, first: true }] });
      expect(await nodeA.admit([s])).toMatchObject({ allowed: false });
    } finally {
      await nodeA.close();
      await nodeB.close();
    }
  });

  it('uses the rate limits\' Redis connection when both are on Redis: one connection per node', async () => {
    const ctx = await createTestContext({ redisUrl: REDIS_URL, rateLimitEnabled: true });
    const who = { clientId: null, ip: `198.51.100.${Math.floor(Math.random() * 200) + 1}` };
    const redis = new Redis(REDIS_URL as string);
    try {
      expect(ctx.limits.store).toBe('redis');
      await ctx.limits.consume('token', `k-${randomBytes(4).toString('hex')}`);
      expect(await attemptPassword(ctx, who, `shared-${randomBytes(4).toString('hex')}`, 'wrong password')).toEqual({ kind: 'failed' });
      const clients = String(await redis.client('LIST')).split('\n').filter((line) => line.includes(`name=${redisConnectionName()} `));
      expect(clients).toHaveLength(1);
    } finally {
      await redis.quit();
      await releaseContext(ctx);
      await ctx.close();
    }
  });

  it('MUST throttle logins through Redis when REDIS_URL is set, across two nodes on one database', async () => {
    const nodeA = await createTestContext({ redisUrl: REDIS_URL, loginMaxAttemptsPerUserIp: 2 });
    // A second node: its own context (its own Redis client) over the same stores.
    const nodeB = { ...nodeA, limits: Object.create(nodeA.limits) as typeof nodeA.limits, shutdown: [] as (() => Promise<void>)[] };
    const who = { clientId: null, ip: `192.0.2.${Math.floor(Math.random() * 200) + 1}` };
    const username = `redis-${randomBytes(4).toString('hex')}`;
    try {
      expect(await attemptPassword(nodeA, who, username, 'wrong password 1')).toEqual({ kind: 'failed' });
      expect(await attemptPassword(nodeB, who, username, 'wrong password 2')).toEqual({ kind: 'failed' });
      expect(await attemptPassword(nodeA, who, username, 'wrong password 3')).toEqual({ kind: 'throttled', retryAfter: 1 });
    } finally {
      await releaseContext(nodeB);
      await releaseContext(nodeA);
      await nodeA.close();
    }
  });
});
