/**
 * Audit events for refused requests: rate limits exceeded and requests from blocked addresses. A
 * flood must not become a flood of audit writes, so each node records the first refusal per policy
 * and address, then at most one per minute with the number it left out; writing never delays the
 * 429 or 403 it describes.
 * @spec https://www.rfc-editor.org/rfc/rfc6585#section-4
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.3.3: attempts to bypass anti-automation logged)
 */
import type { Request } from 'express';
import type { Context } from '../server/context.js';
import type { AuditEvent } from '../storage/stores.js';
import { auditQuietly, requestIpOf } from './audit.js';
import { onRateLimitRefused } from './rate-limit-middleware.js';

/** Seconds between two audit events for the same refusal key on one node. */
export const REFUSAL_AUDIT_INTERVAL = 60;
/** Keys remembered per node before the memory starts afresh (bounded under a spoofed-address flood). */
const MAX_TRACKED = 10_000;

/** Remembers when each refusal key was last audited and how many refusals went unrecorded since. */
export class RefusalSampler {
  private readonly seen = new Map<string, { at: number; skipped: number }>();

  /** The number of refusals left out before this one, or undefined when this one is left out too. */
  take(key: string, now: number): number | undefined {
    const last = this.seen.get(key);
    if (last && now - last.at < REFUSAL_AUDIT_INTERVAL) {
      last.skipped += 1;
      return undefined;
    }
    if (!last && this.seen.size >= MAX_TRACKED) this.seen.clear();
    this.seen.set(key, { at: now, skipped: 0 });
    return last?.skipped ?? 0;
  }
}

const samplers = new WeakMap<object, RefusalSampler>();

function samplerOf(owner: object): RefusalSampler {
  let sampler = samplers.get(owner);
  if (!sampler) {
    sampler = new RefusalSampler();
    samplers.set(owner, sampler);
  }
  return sampler;
}

/** Records a refusal, sampled per `key` on this node. */
export function auditRefusal(ctx: Context, req: Request, key: string, event: AuditEvent): void {
  const skipped = samplerOf(ctx.stores).take(key, ctx.clock());
  if (skipped === undefined) return;
  auditQuietly(ctx, req, { ...event, details: { ...event.details, ...(skipped > 0 ? { not_recorded_since_last: skipped } : {}) } });
}

/** Audits this node's rate-limit refusals as `rate_limit.exceeded`. */
export function auditRateLimits(ctx: Context): void {
  onRateLimitRefused(ctx.limits, (req, policy, decision) => {
    auditRefusal(ctx, req, `rl|${policy}|${requestIpOf(ctx, req)}`, {
      type: 'rate_limit.exceeded',
      details: { policy, limit: decision.limit, retry_after: decision.retryAfter ?? decision.resetSeconds, ...(decision.ban ? { ban: decision.ban } : {}) },
    });
  });
}
