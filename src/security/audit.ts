/**
 * The one way endpoints write the audit log: who asked (the client address behind trusted proxies,
 * and a truncated user agent) is taken from the request here, so no endpoint repeats it, and detail
 * fields that could carry a credential are dropped before anything is stored. Events written with a
 * state change share its transaction; `auditQuietly` is for events that must never delay or fail the
 * request they describe (rate limiting, blocked addresses).
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.2: who, what, when, where; V16.2.5: no credentials in logs)
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html#data-to-exclude
 */
import type { Request } from 'express';
import type { Context } from '../server/context.js';
import type { AuditEvent, Tx } from '../storage/stores.js';
import { clientIp, proxiesOf } from './client-ip.js';

/** User agents are kept short: enough to recognise a client, bounded against abuse. */
export const USER_AGENT_MAX = 256;

/**
 * Detail keys that name credentials. Callers never put them in (the tests check), but a future
 * caller passing a request's parameters wholesale must not write a token into the log.
 */
const CREDENTIAL_KEYS = /^(password|new_password|client_secret|secret|token|access_token|refresh_token|id_token|code|code_verifier|client_assertion|assertion|otp|recovery_code|registration_access_token|initial_access_token|logout_token|authorization|cookie)$/i;


export interface RequestOrigin {
  ip: string;
  userAgent: string | null;
}

/** Where a request came from, as the audit log records it. */
export function requestOrigin(ctx: Pick<Context, 'config'>, req: Request): RequestOrigin {
  const agent = req.headers['user-agent'];
  return { ip: requestIpOf(ctx, req), userAgent: agent ? agent.slice(0, USER_AGENT_MAX) : null };
}

/** The client address alone (IP blocks); `unknown` for a request without a socket, as clientIp says for one without a peer. */
export const requestIpOf = (ctx: Pick<Context, 'config'>, req: Request): string => (req.socket ? clientIp(req, proxiesOf(ctx.config)) : 'unknown');

/** Drops credential-bearing keys at any depth. */
export function withoutCredentials(details: Record<string, unknown>): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (CREDENTIAL_KEYS.test(key)) continue;
    clean[key] = value !== null && typeof value === 'object' && !Array.isArray(value) ? withoutCredentials(value as Record<string, unknown>) : value;
  }
  return clean;
}

/**
 * Records `event` with the request's origin (when there is a request), at the context's clock, in
 * `tx` when the event belongs to a state change. Fields the event sets itself win.
 */
export async function audit(ctx: Context, req: Request | undefined, event: AuditEvent, tx?: Tx): Promise<void> {
  const origin = req ? requestOrigin(ctx, req) : {};
  const details = event.details ? withoutCredentials(event.details) : undefined;
  await ctx.stores.audit.record({ ...origin, ...event, details }, ctx.clock(), tx);
}

/** Records without making the caller wait; a failure is logged, never thrown. */
export function auditQuietly(ctx: Context, req: Request | undefined, event: AuditEvent): void {
  audit(ctx, req, event).catch((error: unknown) => ctx.logger.warn({ err: error, type: event.type }, 'audit event not recorded'));
}
