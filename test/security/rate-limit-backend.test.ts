import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.js';
import { memoryBackend, redisBackend, type RateLimitBackend } from '../../src/security/rate-limit-backend.js';
import { RateLimits } from '../../src/security/rate-limits.js';

const REDIS_URL = process.env.REDIS_URL;
/** Every Redis key this run writes starts with this, so runs never share counters and cleanup is exact. */
const RUN_PREFIX = `castellan-test-${randomBytes(6).toString('hex')}`;
const runPrefix = () => `${RUN_PREFIX}-${randomBytes(3).toString('hex')}`;
const config = (overrides: Partial<Config> = {}) => loadConfig({}, { rateLimitToken: { points: 60, duration: 60 }, ...overrides });

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const opened: RateLimitBackend[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((backend) => backend.close()));
});

describe('rate-limit stores', () => {
  it('keeps counters in process memory by default (no REDIS_URL)', async () => {
    const limits = await RateLimits.create(loadConfig({}, {}));
    expect(limits.store).toBe('memory');
  });

  it('falls back to in-memory insurance limiters, with a logged warning, when Redis is unreachable', async () => {
    const { logger, lines } = capturingLogger();
    // Port 1 on loopback: connection refused at once.
    const backend = await redisBackend('redis://:hunter2@127.0.0.1:1', logger, { connectWaitMs: 2000 });
    opened.push(backend);
    const limits = new RateLimits(config({ rateLimitToken: { points: 5, duration: 60 } }), backend, logger, `t${randomBytes(4).toString('hex')}`);
    const decisions = await Promise.all(Array.from({ length: 20 }, () => limits.consume('token', 'k')));
    // Limits keep holding per node rather than failing open.
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    const outage = lines.filter((line) => line.msg === 'Redis unavailable: rate limits fall back to per-node in-memory counters');
    // Once per outage, not once per request or reconnection attempt.
    expect(outage).toHaveLength(1);
    expect(outage[0].level).toBe(40);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });
});

describe.skipIf(!REDIS_URL)(`rate limits shared through Redis${REDIS_URL ? '' : ' (skipped: REDIS_URL is not set)'}`, () => {
  afterAll(async () => {
    const redis = new Redis(REDIS_URL as string);
    const keys = await redis.keys(`${RUN_PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  /** Two nodes: separate Redis clients and RateLimits, one key prefix unique to this test. */
  async function twoNodes(overrides: Partial<Config> = {}) {
    const prefix = runPrefix();
    const { logger } = capturingLogger();
    const backends = [await redisBackend(REDIS_URL as string, logger), await redisBackend(REDIS_URL as string, logger)];
    opened.push(...backends);
    expect(backends.map((b) => b.kind)).toEqual(['redis', 'redis']);
    return backends.map((backend) => new RateLimits(config({ redisUrl: REDIS_URL, ...overrides }), backend, logger, prefix));
  }

  it('admits exactly 60 of 200 concurrent requests spread over two nodes', async () => {
    const [a, b] = await twoNodes();
    const decisions = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).consume('token', '203.0.113.7|client')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(60);
    const remaining = decisions.filter((d) => d.allowed).map((d) => d.remaining).sort((x, y) => x - y);
    expect(remaining).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('shares penalties: a ban earned on one node is enforced by the other', async () => {
    const [a, b] = await twoNodes({ rateLimitToken: { points: 1, duration: 60 } });
    expect((await a.consume('token', 'k')).allowed).toBe(true);
    const refused = [await a.consume('token', 'k'), await b.consume('token', 'k'), await a.consume('token', 'k')];
    expect(refused.map((d) => d.ban)).toEqual([undefined, undefined, 'soft']);
    expect(await b.consume('token', 'k')).toMatchObject({ allowed: false, ban: 'soft' });
    expect((await b.consume('token', 'other')).allowed).toBe(true);
  });

  it('is chosen by RateLimits.create when REDIS_URL is set, and shared with other nodes', async () => {
    const keyPrefix = runPrefix();
    const settings = config({ redisUrl: REDIS_URL, rateLimitToken: { points: 3, duration: 60 } });
    const [a, b] = [await RateLimits.create(settings, undefined, { keyPrefix }), await RateLimits.create(settings, undefined, { keyPrefix })];
    try {
      expect([a.store, b.store]).toEqual(['redis', 'redis']);
      await Promise.all([a.connect(), b.connect()]);
      const decisions = await Promise.all([a, b, a, b, a, b].map((node) => node.consume('token', 'k')));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(3);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('lazy Redis connection', () => {
  it('does not connect before the first limited request, so CLI commands with REDIS_URL set never touch Redis', async () => {
    const { logger, lines } = capturingLogger();
    const limits = await RateLimits.create(config({ redisUrl: 'redis://127.0.0.1:1', rateLimitToken: { points: 2, duration: 60 } }), logger);
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(lines).toEqual([]);
      const decisions = await Promise.all([1, 2, 3].map(() => limits.consume('token', 'k')));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
      expect(lines.map((line) => line.msg)).toContain('Redis unavailable: rate limits fall back to per-node in-memory counters');
    } finally {
      await limits.close();
    }
  });
});

describe('memory backend', () => {
  it('isolates separately created stores (each node counts alone)', async () => {
    const [a, b] = [new RateLimits(config({ rateLimitToken: { points: 1, duration: 60 } }), memoryBackend()), new RateLimits(config({ rateLimitToken: { points: 1, duration: 60 } }), memoryBackend())];
    expect([(await a.consume('token', 'k')).allowed, (await b.consume('token', 'k')).allowed]).toEqual([true, true]);
  });
});
