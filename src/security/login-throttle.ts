/**
 * Throttling of credential checks with growing delays instead of lockouts. Each scope counts failed
 * attempts under a counter key; once its budget is used up, the next attempt through its gate key must
 * wait a delay that doubles with every further failure, up to the scope's cap. A gate admits one
 * attempt at a time, so a burst of parallel guesses gets no more tries than a sequence would.
 * Counters live where the rate limits live: process memory, or Redis when REDIS_URL is set.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 6.1.1, 6.3.1: brute force controls that prevent malicious account lockout)
 * @spec https://pages.nist.gov/800-63-4/sp800-63b.html#throttle (rate limiting rather than locking out)
 */
import { RateLimiterRes, type RateLimiterLike } from 'rate-limiter-flexible';
import type { RateLimitBackend } from './rate-limit-backend.js';
import type { LazyBackend } from './rate-limits.js';

export interface ThrottleScope {
  /** For the audit log: user-ip, user, ip, mfa. */
  name: string;
  /** Where failures are counted. */
  counterKey: string;
  /** Where the delay is held; narrower than the counter when a scope must slow without shutting anyone out. */
  gateKey: string;
  /** Failures allowed before delays start. */
  budget: number;
  /** Seconds; the longest delay this scope imposes. */
  maxDelay: number;
  /** A success clears this scope (its counter and gate) instead of merely not counting. */
  clearOnSuccess: boolean;
}

interface Counted {
  scope: ThrottleScope;
  /** Attempts counted so far in the window, this one included. */
  count: number;
}

export interface Attempt {
  counted: Counted[];
}

export type Admission = { allowed: true; attempt: Attempt } | { allowed: false; retryAfter: number };

/** A scope whose budget this failure used up, with the delay now imposed. */
export interface Imposed {
  name: string;
  delay: number;
  /** True for the failure that used up the budget (audited once, not at every later failure). */
  first: boolean;
}

/** The k-th delay after the budget: 1, 2, 4, ... seconds, capped. */
export function delayFor(excess: number, cap: number): number {
  return Math.max(1, Math.min(cap, 2 ** Math.min(Math.max(excess, 1) - 1, 30)));
}

/** Seconds a gate holds while one attempt is being checked (released as soon as it is decided). */
const GATE_HOLD = 30;
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export class LoginThrottle {
  private opened?: Promise<{ backend: RateLimitBackend; counters: RateLimiterLike; gates: RateLimiterLike }>;

  /**
   * `sharesLimitsStore`: the counters live in the rate limits' own store (the same Redis
   * connection, or the primary), under the same namespace, so clearing the limits' counters clears
   * these too.
   */
  constructor(private readonly backend: RateLimitBackend | LazyBackend, private readonly window: number, private readonly keyPrefix = 'castellan', readonly sharesLimitsStore = false) {}

  /** Where the counters live. */
  get store(): RateLimitBackend['kind'] {
    return this.backend.kind;
  }

  /** Counts the attempt in every scope; refuses it while any gate it must pass is closed. */
  async admit(scopes: ThrottleScope[]): Promise<Admission> {
    const { counters, gates } = await this.limiters();
    const counted = await Promise.all(scopes.map(async (scope) => ({ scope, count: (await counters.penalty(scope.counterKey)).consumedPoints })));
    const gateKeys = [...new Set(counted.filter((c) => c.count > c.scope.budget).map((c) => c.scope.gateKey))];
    const taken: string[] = [];
    let wait = 0;
    for (const key of gateKeys) {
      try {
        await gates.consume(key);
        taken.push(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        wait = Math.max(wait, seconds(rejection.msBeforeNext));
      }
    }
    if (wait === 0) return { allowed: true, attempt: { counted } };
    // A refused attempt is not a guess: it leaves no count and no gate behind.
    await Promise.all([...taken.map((key) => gates.delete(key)), ...scopes.map((scope) => counters.reward(scope.counterKey))]);
    return { allowed: false, retryAfter: wait };
  }

  /** Closes the gates of every scope whose budget is used up, for a delay that grows with each failure. */
  async failed(attempt: Attempt): Promise<Imposed[]> {
    const { gates } = await this.limiters();
    const imposed: Imposed[] = [];
    const delays = new Map<string, number>();
    for (const { scope, count } of attempt.counted) {
      if (count < scope.budget) continue;
      const delay = delayFor(count - scope.budget + 1, scope.maxDelay);
      imposed.push({ name: scope.name, delay, first: count === scope.budget });
      delays.set(scope.gateKey, Math.max(delays.get(scope.gateKey) ?? 0, delay));
    }
    await Promise.all([...delays].map(([key, delay]) => gates.block(key, delay)));
    return imposed;
  }

  /**
   * A success clears the scopes that ask for it (the username from this address, an MFA step) and
   * is not counted in the others; a gate it passed closes again for the current delay, so successes
   * with one account cannot open the way for guesses at others.
   */
  async succeeded(attempt: Attempt): Promise<void> {
    const { counters, gates } = await this.limiters();
    const cleared = new Set(attempt.counted.filter((c) => c.scope.clearOnSuccess).map((c) => c.scope.gateKey));
    await Promise.all(attempt.counted.map(async ({ scope, count }) => {
      if (scope.clearOnSuccess) {
        await Promise.all([counters.delete(scope.counterKey), gates.delete(scope.gateKey)]);
        return;
      }
      await counters.reward(scope.counterKey);
      if (count > scope.budget && !cleared.has(scope.gateKey)) await gates.block(scope.gateKey, delayFor(count - scope.budget, scope.maxDelay));
    }));
  }

  /** Forgets one scope's counter and gate. */
  async clear(scope: Pick<ThrottleScope, 'counterKey' | 'gateKey'>): Promise<void> {
    const { counters, gates } = await this.limiters();
    await Promise.all([counters.delete(scope.counterKey), gates.delete(scope.gateKey)]);
  }

  /** Forgets every counter and gate in this throttle's namespace (the test control API's reset). */
  async clearCounters(): Promise<number> {
    const { backend } = await this.limiters();
    return backend.clear(this.keyPrefix);
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) await (await opened).backend.close();
  }

  private limiters() {
    this.opened ??= (async () => {
      const backend = 'open' in this.backend ? await this.backend.open() : this.backend;
      return {
        backend,
        // A counter that never refuses: penalty() only counts.
        counters: backend.limiter({ keyPrefix: `${this.keyPrefix}:login`, points: Number.MAX_SAFE_INTEGER, duration: this.window }),
        // One point: consume() admits one attempt; block() holds the delay.
        gates: backend.limiter({ keyPrefix: `${this.keyPrefix}:login-gate`, points: 1, duration: GATE_HOLD }),
      };
    })().catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    return this.opened;
  }
}
