import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.js';
import { memoryBackend } from '../../src/security/rate-limit-backend.js';
import { compactKey, RateLimits } from '../../src/security/rate-limits.js';

const config = (overrides: Partial<Config> = {}) => loadConfig({}, overrides);
const memoryLimits = (overrides: Partial<Config> = {}) => new RateLimits(config(overrides), memoryBackend());

/** Wall-clock control: rate-limiter-flexible reads Date.now(), so only Date is faked. */
function fakeWallClock() {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
  return { advance: (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RFC 6585 §4 rate limits per policy', () => {
  it('uses the security guide defaults: token 60/min, authorization 120/min, userinfo 300/min, introspection 180/min, registration 5/h', () => {
    const limits = memoryLimits();
    expect(['token', 'authorization', 'userinfo', 'introspection', 'registration'].map((p) => limits.limitOf(p as 'token'))).toEqual([60, 120, 300, 180, 5]);
  });

  it('MUST allow exactly the limit and then refuse with Retry-After seconds until the window ends', async () => {
    const clock = fakeWallClock();
    const limits = memoryLimits({ rateLimitToken: { points: 3, duration: 60 } });
    const first = await limits.consume('token', 'k');
    expect(first).toEqual({ allowed: true, limit: 3, remaining: 2, resetSeconds: 60 });
    await limits.consume('token', 'k');
    clock.advance(20);
    expect(await limits.consume('token', 'k')).toMatchObject({ allowed: true, remaining: 0, resetSeconds: 40 });
    expect(await limits.consume('token', 'k')).toEqual({ allowed: false, limit: 3, remaining: 0, resetSeconds: 40, retryAfter: 40 });
    clock.advance(41);
    expect(await limits.consume('token', 'k')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('counts keys and policies apart', async () => {
    const limits = memoryLimits({ rateLimitToken: { points: 1, duration: 60 }, rateLimitAuthorization: { points: 1, duration: 60 } });
    expect((await limits.consume('token', 'a')).allowed).toBe(true);
    expect((await limits.consume('token', 'a')).allowed).toBe(false);
    expect((await limits.consume('token', 'b')).allowed).toBe(true);
    expect((await limits.consume('authorization', 'a')).allowed).toBe(true);
  });

  it('admits exactly N of 200 concurrent requests for one key', async () => {
    const limits = memoryLimits({ rateLimitToken: { points: 60, duration: 60 } });
    const decisions = await Promise.all(Array.from({ length: 200 }, () => limits.consume('token', 'same')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(60);
    expect(new Set(decisions.filter((d) => d.allowed).map((d) => d.remaining)).size).toBe(60);
  });

  it('allows everything and counts nothing when RATE_LIMIT_ENABLED=false', async () => {
    const limits = memoryLimits({ rateLimitEnabled: false, rateLimitToken: { points: 1, duration: 60 } });
    const decisions = await Promise.all([1, 2, 3].map(() => limits.consume('token', 'k')));
    expect(decisions.every((d) => d.allowed && d.remaining === 1)).toBe(true);
  });

  it('keeps store keys short: long request-derived keys are hashed, distinct ones stay distinct', () => {
    expect(compactKey('127.0.0.1|client')).toBe('127.0.0.1|client');
    const long = compactKey(`1.2.3.4|${'a'.repeat(500)}`);
    expect(long).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(compactKey(`1.2.3.4|${'a'.repeat(499)}b`)).not.toBe(long);
  });
});

describe('Progressive penalties', () => {
  const penaltyConfig = { rateLimitToken: { points: 2, duration: 60 } };

  async function violate(limits: RateLimits, key: string, times: number) {
    const refused = [];
    for (let i = 0; i < times; i += 1) refused.push(await limits.consume('token', key));
    return refused;
  }

  it('MUST impose a soft ban of 60 minutes after 3 violations, outlasting the window', async () => {
    const clock = fakeWallClock();
    const limits = memoryLimits(penaltyConfig);
    await violate(limits, 'k', 2);
    const [first, second, third] = await violate(limits, 'k', 3);
    expect([first.ban, second.ban]).toEqual([undefined, undefined]);
    expect(first.retryAfter).toBe(60);
    expect(third).toMatchObject({ allowed: false, ban: 'soft', retryAfter: 3600, resetSeconds: 3600 });
    clock.advance(120); // the window is long over, the ban is not
    expect(await limits.consume('token', 'k')).toMatchObject({ allowed: false, ban: 'soft', retryAfter: 3480 });
    clock.advance(3481);
    expect(await limits.consume('token', 'k')).toMatchObject({ allowed: true });
  });

  it('does not count requests refused during a ban as violations', async () => {
    const clock = fakeWallClock();
    const limits = memoryLimits(penaltyConfig);
    await violate(limits, 'k', 5); // 2 allowed + 3 violations: soft ban
    const duringBan = await violate(limits, 'k', 20);
    expect(duringBan.every((d) => d.ban === 'soft')).toBe(true);
    clock.advance(3601);
    await violate(limits, 'k', 2);
    // The 4th violation renews the soft ban; it is nowhere near the hard ban's 10.
    expect(await limits.consume('token', 'k')).toMatchObject({ ban: 'soft', retryAfter: 3600 });
  });

  it('MUST impose a hard ban of 24 hours after 10 violations within the violation window', async () => {
    const clock = fakeWallClock();
    const limits = memoryLimits(penaltyConfig);
    const bans: (string | undefined)[] = [];
    // Each cycle: fill the window, then violate until banned; after the soft ban, start again.
    for (let violations = 0; violations < 10; ) {
      const decision = await limits.consume('token', 'k');
      if (decision.allowed) continue;
      violations += 1;
      bans.push(decision.ban);
      if (decision.ban === 'soft') clock.advance(decision.retryAfter! + 1);
    }
    expect(bans).toEqual([undefined, undefined, 'soft', 'soft', 'soft', 'soft', 'soft', 'soft', 'soft', 'hard']);
    expect(await limits.consume('token', 'k')).toMatchObject({ allowed: false, ban: 'hard' });
    clock.advance(23 * 3600);
    expect(await limits.consume('token', 'k')).toMatchObject({ allowed: false, ban: 'hard' });
    clock.advance(3600);
    expect(await limits.consume('token', 'k')).toMatchObject({ allowed: true });
    // Another key was never affected.
    expect(await limits.consume('token', 'other')).toMatchObject({ allowed: true });
  });

  it('makes one store operation per admitted request (one round trip to Redis or to the primary), and still refuses banned keys', async () => {
    fakeWallClock();
    const operations: string[] = [];
    const memory = memoryBackend();
    // Every limiter method call is recorded with its limiter's key prefix.
    const counting = {
      kind: memory.kind, close: () => memory.close(), clear: (namespace: string) => memory.clear(namespace),
      limiter: (spec: Parameters<typeof memory.limiter>[0]) => new Proxy(memory.limiter(spec), {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (typeof value !== 'function' || !['consume', 'get', 'penalty', 'block'].includes(String(name))) return value;
          return (...args: unknown[]) => {
            operations.push(`${spec.keyPrefix.split(':')[1]}.${String(name)}`);
            return value.apply(target, args);
          };
        },
      }),
    };
    const limits = new RateLimits(config(penaltyConfig), counting);
    await limits.consume('token', 'k');
    expect(operations).toEqual(['rl.consume']);
    await violate(limits, 'k', 4); // 1 more allowed, then 3 violations: a soft ban
    operations.length = 0;
    expect(await limits.consume('token', 'k')).toMatchObject({ allowed: false, ban: 'soft' });
    // Refused by the blocked window; the ban limiters are read only to say which ban it is.
    expect(operations).toEqual(['rl.consume', 'ban-hard.get', 'ban-soft.get']);
  });

  it('forgets violations once the violation window has passed', async () => {
    const clock = fakeWallClock();
    const limits = memoryLimits({ ...penaltyConfig, rateLimitViolationWindow: 600 });
    await violate(limits, 'k', 4); // 2 violations
    clock.advance(601);
    // Counted together, the second of these violations would be the third and ban the key.
    const again = await violate(limits, 'k', 4);
    expect(again.map((d) => d.allowed)).toEqual([true, true, false, false]);
    expect(again.map((d) => d.ban)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('takes its thresholds and durations from configuration', async () => {
    fakeWallClock();
    const limits = memoryLimits({ ...penaltyConfig, rateLimitSoftBan: { violations: 1, duration: 120 }, rateLimitHardBan: { violations: 2, duration: 600 } });
    await violate(limits, 'k', 2);
    expect(await limits.consume('token', 'k')).toMatchObject({ ban: 'soft', retryAfter: 120 });
  });
});
