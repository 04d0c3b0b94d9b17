/**
 * Rate limits at the HTTP edge: every limited response carries X-RateLimit-Limit, -Remaining and
 * -Reset (seconds until the window or ban ends, not an epoch time); a refused one is a 429 with
 * Retry-After and the RFC 6749 §5.2 JSON body `too_many_requests`.
 * @spec https://www.rfc-editor.org/rfc/rfc6585#section-4
 * @spec https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3 (Retry-After in delay-seconds)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { OAuthError } from '../errors/oauth-error.js';
import { sendOAuthError } from '../http/respond.js';
import type { RateLimitDecision, RateLimitPolicy, RateLimits } from './rate-limits.js';

/** The headers a browser client may read (CORS exposes them). */
export const RATE_LIMIT_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const;

export function setRateLimitHeaders(res: Response, decision: RateLimitDecision): void {
  res.set('X-RateLimit-Limit', String(decision.limit));
  res.set('X-RateLimit-Remaining', String(decision.remaining));
  res.set('X-RateLimit-Reset', String(decision.resetSeconds));
}

export function tooManyRequests(decision: RateLimitDecision): OAuthError {
  const description = decision.ban ? 'Too many requests; temporarily blocked after repeated violations' : 'Too many requests';
  return new OAuthError('too_many_requests', description, { requirement: 'RFC6749-2.3.1-3', headers: { 'Retry-After': String(decision.retryAfter ?? decision.resetSeconds) } });
}

/** Told of each refused request (the audit log); must neither throw nor make the response wait. */
export type RefusalListener = (req: Request, policy: RateLimitPolicy, decision: RateLimitDecision) => void;

const refusalListeners = new WeakMap<RateLimits, RefusalListener>();

/** Registers the listener of one node's limits (replacing any earlier one). */
export function onRateLimitRefused(limits: RateLimits, listener: RefusalListener): void {
  refusalListeners.set(limits, listener);
}

/**
 * Counts the request under `policy` with the key `keyOf` gives; no key means not limited here.
 * A failing store lets the request through with a warning: an outage of the counters must not
 * become an outage of the provider (with Redis, in-memory insurance limiters make this rare).
 */
export function rateLimit(limits: RateLimits, policy: RateLimitPolicy, keyOf: (req: Request) => string | undefined, logger?: Logger) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!limits.enabled) return next();
    const key = keyOf(req);
    if (key === undefined) return next();
    if (await applyRateLimit(res, limits, policy, key, logger)) next();
  };
}

/**
 * For endpoints that learn their key late (userinfo by user, introspection by client): returns
 * true when the request may proceed, false after the 429 has been sent.
 */
export async function applyRateLimit(res: Response, limits: RateLimits, policy: RateLimitPolicy, key: string, logger?: Logger): Promise<boolean> {
  if (!limits.enabled) return true;
  let decision: RateLimitDecision;
  try {
    decision = await limits.consume(policy, key);
  } catch (error) {
    logger?.warn({ err: error, policy }, 'rate limit store failed; request not limited');
    return true;
  }
  setRateLimitHeaders(res, decision);
  if (decision.allowed) return true;
  try {
    refusalListeners.get(limits)?.(res.req, policy, decision);
  } catch (error) {
    logger?.warn({ err: error, policy }, 'rate limit refusal listener failed');
  }
  sendOAuthError(res, tooManyRequests(decision), logger);
  return false;
}
