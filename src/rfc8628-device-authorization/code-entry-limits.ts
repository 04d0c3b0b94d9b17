/**
 * Rate limits on user_code entry, per client address and over all addresses together. The global
 * counter is what makes the code's 34.5 bits enough (see user-code.ts): without it, an attacker
 * with many addresses could try codes in parallel. Refusals are audited (sampled, like every
 * rate-limit refusal); failed entries are audited by the page itself.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-5.1 (rate-limit user code entry, across all codes)
 * @spec https://www.rfc-editor.org/rfc/rfc6585#section-4 (429, Retry-After)
 */
import type { Request } from 'express';
import { auditRefusal } from '../security/audit-rate-limit.js';
import { requestIpOf } from '../security/audit.js';
import type { RateLimitDecision, RateLimitPolicy } from '../security/rate-limits.js';
import type { Context } from '../server/context.js';

/** The one key of the global counter. */
const EVERYONE = 'all';

/** Seconds to wait when an entry is refused, or undefined when it may proceed. */
export async function codeEntryRefusal(ctx: Context, req: Request): Promise<number | undefined> {
  if (!ctx.limits.enabled) return undefined;
  const ip = requestIpOf(ctx, req);
  for (const [policy, key] of [['device_verification', ip], ['device_verification_global', EVERYONE]] as [RateLimitPolicy, string][]) {
    let decision: RateLimitDecision;
    try {
      decision = await ctx.limits.consume(policy, key);
    } catch (error) {
      // As at every endpoint: an outage of the counters must not become an outage of the provider.
      ctx.logger.warn({ err: error, policy }, 'rate limit store failed; request not limited');
      continue;
    }
    if (decision.allowed) continue;
    const retryAfter = decision.retryAfter ?? decision.resetSeconds;
    auditRefusal(ctx, req, `rl|${policy}|${ip}`, { type: 'rate_limit.exceeded', details: { policy, limit: decision.limit, retry_after: retryAfter, ...(decision.ban ? { ban: decision.ban } : {}) } });
    return retryAfter;
  }
  return undefined;
}
