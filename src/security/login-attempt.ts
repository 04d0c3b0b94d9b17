/**
 * One login attempt under the throttling policy, with its audit events. Three scopes, none of which
 * an attacker can use to shut a victim out:
 * - username + address: LOGIN_MAX_ATTEMPTS_PER_USER_IP free failures, then doubling delays up to
 *   LOGIN_MAX_DELAY; a success clears it. It slows only the address that failed.
 * - username, every address: LOGIN_MAX_ATTEMPTS_PER_USER failures, then each address must wait up to
 *   a minute between its own attempts for that username. An address that has not failed passes at
 *   once, so the owner signs in while an attacker hammers the account elsewhere.
 * - address, every username: LOGIN_MAX_ATTEMPTS_PER_IP failures (credential stuffing), then doubling delays.
 * Unknown usernames are counted exactly like known ones, so throttling reveals nothing either.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 6.3.1, 6.3.8: no enumeration; V16 audit)
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#account-lockout
 */
import { hash } from 'node:crypto';
import type { Context } from '../server/context.js';
import type { UserRecord } from '../storage/stores.js';
import { checkPassword } from '../users/user-service.js';
import { LoginThrottle, type Imposed, type ThrottleScope } from './login-throttle.js';
import { memoryBackend, redisBackend } from './rate-limit-backend.js';

/** The per-username delay stays short: it slows a distributed attack but never shuts the owner out. */
export const SOFT_MAX_DELAY = 60;
/** Failed MFA codes per user before delays start. */
export const MFA_BUDGET = 5;

/** One throttle per running node (keyed by its rate limits, which every copy of the context shares). */
const nodes = new WeakMap<object, LoginThrottle>();

export function throttling(ctx: Context): LoginThrottle {
  let throttle = nodes.get(ctx.limits);
  if (!throttle) {
    const { redisUrl } = ctx.config;
    // With rate limiting on Redis, the throttle uses the same connection; otherwise it opens its own.
    // A worker process (WORKERS above 1) counts in the primary, like its rate limits, so N workers
    // allow no more guesses than one process.
    const shared = ctx.limits.store === 'redis' || (ctx.limits.store === 'cluster' && !redisUrl);
    const local = ctx.limits.store === 'cluster' ? 'cluster' as const : 'memory' as const;
    const backend = shared
      ? { kind: ctx.limits.store, open: () => ctx.limits.sharedBackend() }
      : redisUrl ? { kind: 'redis' as const, open: () => redisBackend(redisUrl, ctx.logger, { commandTimeoutMs: ctx.config.redisTimeout, insurance: local }) } : memoryBackend();
    const created = new LoginThrottle(backend, ctx.config.loginThrottleWindow, ctx.limits.keyPrefix, shared);
    nodes.set(ctx.limits, created);
    ctx.shutdown.push(() => created.close());
    throttle = created;
  }
  return throttle;
}

/** Usernames enter keys hashed: no personal data in Redis, and a fixed key length. */
const digest = (text: string) => hash('sha256', text, 'base64url');

/** The scopes of a password attempt; `castellan users unlock` bumps the generation to start the username's afresh. */
export async function passwordScopes(ctx: Context, username: string, ip: string): Promise<ThrottleScope[]> {
  const generation = await ctx.stores.loginResets.generation(username);
  const user = `${generation}:${digest(username)}`;
  const { config } = ctx;
  return [
    { name: 'user-ip', counterKey: `ui:${user}|${ip}`, gateKey: `ui:${user}|${ip}`, budget: config.loginMaxAttemptsPerUserIp, maxDelay: config.loginMaxDelay, clearOnSuccess: true },
    { name: 'user', counterKey: `u:${user}`, gateKey: `ui:${user}|${ip}`, budget: config.loginMaxAttemptsPerUser, maxDelay: Math.min(SOFT_MAX_DELAY, config.loginMaxDelay), clearOnSuccess: false },
    { name: 'ip', counterKey: `ip:${ip}`, gateKey: `ip:${ip}`, budget: config.loginMaxAttemptsPerIp, maxDelay: config.loginMaxDelay, clearOnSuccess: false },
  ];
}

/** MFA codes are throttled per user: whoever reaches this step already knows the password. */
export async function mfaScopes(ctx: Context, user: UserRecord): Promise<ThrottleScope[]> {
  const generation = await ctx.stores.loginResets.generation(user.username);
  const key = `mfa:${generation}:${user.id}`;
  return [{ name: 'mfa', counterKey: key, gateKey: key, budget: MFA_BUDGET, maxDelay: ctx.config.loginMaxDelay, clearOnSuccess: true }];
}

export interface AttemptContext {
  clientId: string | null;
  ip: string;
  /** For the audit events (truncated, see security/audit.ts). */
  userAgent?: string | null;
}

export type Checked<T> = { kind: 'throttled'; retryAfter: number } | { kind: 'failed' } | { kind: 'passed'; value: T };

/**
 * Runs `check` under the scopes' throttle and audits the outcome: `failedEvent` on failure (with
 * `login.locked` when a budget is used up); a success is audited by the caller, who knows what it completes.
 */
export async function throttled<T>(
  ctx: Context,
  scopes: ThrottleScope[],
  audit: AttemptContext & { failedEvent: string },
  check: () => Promise<{ value?: T; userId?: string }>,
): Promise<Checked<T>> {
  const throttle = throttling(ctx);
  const admission = await throttle.admit(scopes);
  if (!admission.allowed) return { kind: 'throttled', retryAfter: admission.retryAfter };
  const result = await check();
  if (result.value === undefined) {
    const imposed = await throttle.failed(admission.attempt);
    await recordFailure(ctx, audit, result.userId ?? null, imposed);
    return { kind: 'failed' };
  }
  await throttle.succeeded(admission.attempt);
  return { kind: 'passed', value: result.value };
}

async function recordFailure(ctx: Context, audit: AttemptContext & { failedEvent: string }, userId: string | null, imposed: Imposed[]): Promise<void> {
  const now = ctx.clock();
  const base = { clientId: audit.clientId, ip: audit.ip, userAgent: audit.userAgent ?? null };
  await ctx.stores.transaction(async (tx) => {
    // Never the username as typed (it may be a password typed in the wrong field) nor any secret.
    await ctx.stores.audit.record({ ...base, type: audit.failedEvent, userId }, now, tx);
    for (const scope of imposed.filter((i) => i.first)) {
      await ctx.stores.audit.record({ ...base, type: 'login.locked', userId: scope.name === 'ip' ? null : userId, details: { scope: scope.name, delaySeconds: scope.delay } }, now, tx);
    }
  });
}

/** The password step of a login: throttled, timing-equalised for unknown users, audited on failure. */
export async function attemptPassword(ctx: Context, who: AttemptContext, username: string, password: string): Promise<Checked<UserRecord>> {
  const scopes = await passwordScopes(ctx, username, who.ip);
  return throttled(ctx, scopes, { ...who, failedEvent: 'login.failed' }, async () => {
    const check = await checkPassword(ctx, username, password);
    return { value: check.user, userId: check.knownUserId };
  });
}
