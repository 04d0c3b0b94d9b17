/**
 * Rate limits per endpoint policy, with progressive penalties: a request refused because its key
 * used up the window is a violation; after RATE_LIMIT_SOFT_BAN violations within the violation
 * window the key is banned for an hour, after RATE_LIMIT_HARD_BAN for a day (defaults).
 * @spec https://www.rfc-editor.org/rfc/rfc6585#section-4 (429 and Retry-After)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10 (brute force against credentials)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10 (credential guessing at the token endpoint)
 */
import { hash } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { RateLimiterRes, type RateLimiterLike } from 'rate-limiter-flexible';
import type { Config } from '../config/config.js';
import type { PenaltyRule, RateLimitRule } from '../config/security-settings.js';
import { clusterBackend, memoryBackend, redisBackend, type InsuranceStore, type RateLimitBackend } from './rate-limit-backend.js';

export type RateLimitPolicy = 'token' | 'authorization' | 'userinfo' | 'introspection' | 'registration' | 'device_verification' | 'device_verification_global';
export const POLICIES: readonly RateLimitPolicy[] = ['token', 'authorization', 'userinfo', 'introspection', 'registration', 'device_verification', 'device_verification_global'];

/**
 * Policies whose key is shared by everyone (one global counter): refusing past the limit is their
 * whole point, and a ban on that one key would shut every user out for an hour, so none is imposed.
 */
const UNPENALISED: ReadonlySet<RateLimitPolicy> = new Set(['device_verification_global']);

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window (or the ban) ends. */
  resetSeconds: number;
  /** Seconds the client should wait; only when refused. */
  retryAfter?: number;
  /** Set when the key is serving a penalty. */
  ban?: 'soft' | 'hard';
}

type LimitSettings = Pick<Config, 'rateLimitEnabled' | 'rateLimitToken' | 'rateLimitAuthorization' | 'rateLimitUserinfo' | 'rateLimitIntrospection' | 'rateLimitRegistration' | 'rateLimitDeviceVerification' | 'rateLimitDeviceVerificationGlobal' | 'rateLimitSoftBan' | 'rateLimitHardBan' | 'rateLimitViolationWindow'>;

const ruleOf = (config: LimitSettings, policy: RateLimitPolicy): RateLimitRule =>
  ({
    token: config.rateLimitToken, authorization: config.rateLimitAuthorization, userinfo: config.rateLimitUserinfo, introspection: config.rateLimitIntrospection, registration: config.rateLimitRegistration,
    device_verification: config.rateLimitDeviceVerification, device_verification_global: config.rateLimitDeviceVerificationGlobal,
  })[policy];

interface PolicyLimiters {
  window: RateLimiterLike;
  violations: RateLimiterLike;
  softBan: RateLimiterLike;
  hardBan: RateLimiterLike;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** A store opened on first use, so a context that never limits (a CLI command) never connects to Redis. */
export interface LazyBackend {
  kind: RateLimitBackend['kind'];
  open(): Promise<RateLimitBackend>;
}

export class RateLimits {
  readonly enabled: boolean;
  readonly store: RateLimitBackend['kind'];
  private readonly soft: PenaltyRule;
  private readonly hard: PenaltyRule;
  private readonly open: () => Promise<RateLimitBackend>;
  private opened?: Promise<{ backend: RateLimitBackend; policies: Map<RateLimitPolicy, PolicyLimiters> }>;
  /** Share of each configured limit in force (emergency mode halves them); limiters are not rebuilt. */
  private factor = 1;

  constructor(private readonly config: LimitSettings, backend: RateLimitBackend | LazyBackend, private readonly logger?: Logger, readonly keyPrefix = 'castellan') {
    this.enabled = config.rateLimitEnabled;
    this.soft = config.rateLimitSoftBan;
    this.hard = config.rateLimitHardBan;
    this.store = backend.kind;
    this.open = 'open' in backend ? () => backend.open() : async () => backend;
  }

  /**
   * In-memory counters, or Redis when REDIS_URL is set (connected on first use or by `connect()`).
   * `local: 'cluster'` (a worker process) keeps the counters in the primary instead of this process,
   * and makes the primary's counters Redis's fallback too.
   */
  static async create(config: LimitSettings & Pick<Config, 'redisUrl'> & Partial<Pick<Config, 'redisTimeout'>>, logger?: Logger, options: { keyPrefix?: string; local?: InsuranceStore } = {}): Promise<RateLimits> {
    const { redisUrl } = config;
    const local = options.local ?? 'memory';
    const backend: RateLimitBackend | LazyBackend = redisUrl && config.rateLimitEnabled
      ? { kind: 'redis', open: () => redisBackend(redisUrl, logger ?? pino({ level: 'silent' }), { commandTimeoutMs: config.redisTimeout, insurance: local }) }
      : local === 'cluster' ? clusterBackend() : memoryBackend();
    return new RateLimits(config, backend, logger, options.keyPrefix);
  }

  /** Opens the store now; a server calls this at start so an unreachable Redis is reported before traffic. */
  async connect(): Promise<void> {
    await this.policies();
  }

  limitOf(policy: RateLimitPolicy): number {
    return Math.max(1, Math.floor(ruleOf(this.config, policy).points * this.factor));
  }

  /** Tightens (factor below 1) or restores (1) every limit at once; counters already taken stay valid. */
  setFactor(factor: number): void {
    if (!(factor > 0 && factor <= 1)) throw new Error(`rate-limit factor must be in (0, 1], got ${factor}`);
    this.factor = factor;
  }

  /**
   * Forgets every counter in this node's namespace wherever the store keeps it: these limits',
   * and the login throttle's when it shares the store (the test control API's reset).
   */
  async clearCounters(): Promise<number> {
    return (await this.backend()).clear(this.keyPrefix);
  }

  /** Counts one request for `key` under `policy` and says whether it may proceed. */
  async consume(policy: RateLimitPolicy, key: string): Promise<RateLimitDecision> {
    const limit = this.limitOf(policy);
    if (!this.enabled) return { allowed: true, limit, remaining: limit, resetSeconds: 0 };
    const limiters = await this.limiters(policy);
    const storeKey = compactKey(key);
    // One store operation on the common path (one round trip to Redis, or to the primary from a
    // worker): a ban also blocks the key's window (violation()), so a banned key is always refused
    // here first, and the ban limiters are read only to say which ban refused it.
    const outcome = await limiters.window.consume(storeKey).then((res) => ({ allowed: true, res }), (rejection: unknown) => refusal(rejection));
    const resetSeconds = seconds(outcome.res.msBeforeNext);
    // The window limiter counts against the configured limit; a tightened one refuses past its share.
    if (outcome.allowed && outcome.res.consumedPoints <= limit) return { allowed: true, limit, remaining: limit - outcome.res.consumedPoints, resetSeconds };
    const [hard, soft] = await Promise.all([limiters.hardBan.get(storeKey), limiters.softBan.get(storeKey)]);
    const banned = activeBan(hard, 'hard') ?? activeBan(soft, 'soft');
    // Requests refused during a ban are not violations: the penalty does not feed itself.
    if (banned) return { allowed: false, limit, remaining: 0, resetSeconds: banned.seconds, retryAfter: banned.seconds, ban: banned.kind };
    if (UNPENALISED.has(policy)) return { allowed: false, limit, remaining: 0, resetSeconds, retryAfter: resetSeconds };
    return this.violation(policy, limiters, storeKey, { allowed: false, limit, remaining: 0, resetSeconds, retryAfter: resetSeconds });
  }

  /**
   * The opened store for other counters of this node (the login throttle), so a node holds one Redis
   * connection. Closing what it returns does nothing: these limits own the connection.
   */
  async sharedBackend(): Promise<RateLimitBackend> {
    const backend = await this.backend();
    return { kind: backend.kind, limiter: (spec) => backend.limiter(spec), clear: (namespace) => backend.clear(namespace), close: async () => undefined };
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) await (await opened).backend.close();
  }

  private async violation(policy: RateLimitPolicy, limiters: PolicyLimiters, key: string, refused: RateLimitDecision): Promise<RateLimitDecision> {
    const count = (await limiters.violations.penalty(key)).consumedPoints;
    const penalty = count >= this.hard.violations ? { kind: 'hard' as const, rule: this.hard, limiter: limiters.hardBan } : count >= this.soft.violations ? { kind: 'soft' as const, rule: this.soft, limiter: limiters.softBan } : undefined;
    if (!penalty) return refused;
    // The window is blocked as long as the ban, so consume() refuses the key without reading the ban.
    await Promise.all([penalty.limiter.block(key, penalty.rule.duration), limiters.window.block(key, penalty.rule.duration)]);
    this.logger?.warn({ policy, key, violations: count, ban: penalty.kind, seconds: penalty.rule.duration }, 'rate limit ban');
    return { ...refused, resetSeconds: penalty.rule.duration, retryAfter: penalty.rule.duration, ban: penalty.kind };
  }

  private async backend(): Promise<RateLimitBackend> {
    await this.policies();
    const opened = this.opened;
    if (!opened) throw new Error('rate-limit store closed');
    return (await opened).backend;
  }

  private async limiters(policy: RateLimitPolicy): Promise<PolicyLimiters> {
    const limiters = (await this.policies()).get(policy);
    if (!limiters) throw new Error(`unknown rate-limit policy ${policy}`);
    return limiters;
  }

  private policies(): Promise<Map<RateLimitPolicy, PolicyLimiters>> {
    this.opened ??= this.open().then(
      (backend) => ({ backend, policies: this.build(backend) }),
      (error: unknown) => {
        // The next request tries again rather than inheriting this failure forever.
        this.opened = undefined;
        throw error;
      },
    );
    return this.opened.then((opened) => opened.policies);
  }

  private build(backend: RateLimitBackend): Map<RateLimitPolicy, PolicyLimiters> {
    const policies = new Map<RateLimitPolicy, PolicyLimiters>();
    for (const policy of POLICIES) {
      const rule = ruleOf(this.config, policy);
      const make = (kind: string, points: number, duration: number) => backend.limiter({ keyPrefix: `${this.keyPrefix}:${kind}:${policy}`, points, duration });
      policies.set(policy, {
        window: make('rl', rule.points, rule.duration),
        // A counter that never refuses: penalty() only counts.
        violations: make('violations', Number.MAX_SAFE_INTEGER, this.config.rateLimitViolationWindow),
        // Soft and hard bans live apart so a late soft ban can never shorten a hard one.
        softBan: make('ban-soft', 1, this.soft.duration),
        hardBan: make('ban-hard', 1, this.hard.duration),
      });
    }
    return policies;
  }
}

/** A refused consume resolves to its result; a store failure (no insurance left) is thrown. */
function refusal(rejection: unknown): { allowed: false; res: RateLimiterRes } {
  if (rejection instanceof RateLimiterRes) return { allowed: false, res: rejection };
  throw rejection;
}

/** A blocked key reads as more points consumed than the ban limiter's single point. */
function activeBan(res: RateLimiterRes | null, kind: 'soft' | 'hard') {
  return res && res.consumedPoints > 1 && res.msBeforeNext > 0 ? { kind, seconds: seconds(res.msBeforeNext) } : undefined;
}

/** Keys built from request data stay short in the store: long ones are replaced by their hash. */
export function compactKey(key: string): string {
  return key.length <= 160 ? key : `sha256:${hash('sha256', key, 'base64url')}`;
}
