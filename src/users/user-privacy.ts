/**
 * A user's privacy rights, for `castellan users export` and `castellan users delete`. The export is
 * everything stored about the user in readable form: claims, consents, sessions, grants and the
 * tokens issued under them, MFA status, pending logout notices, the audit events about them and the
 * request inspector's recordings that name them (secrets in those are already masked); never
 * a password hash, a handle hash or a sealed secret. Deletion removes the user and every row about
 * them in one transaction; audit events stay as a security record but lose the user, address and
 * user agent (so nothing left points at the person), and the deletion itself is audited without them.
 * @spec https://eur-lex.europa.eu/eli/reg/2016/679/oj (GDPR Art. 15 access, Art. 17 erasure, Art. 20 portability)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
 */
import type { Context } from '../server/context.js';
import type { UserRecord } from '../storage/stores.js';
import { audit } from '../security/audit.js';

export const EXPORT_FORMAT = 'castellan-user-export/1';

/** The export document; times are epoch seconds as in every other JSON output of the CLI. */
export async function exportUserData(ctx: Context, user: UserRecord): Promise<Record<string, unknown>> {
  const data = await ctx.stores.userData.collect(user.id, user.username);
  const clientNames = new Map<string, string>();
  for (const clientId of new Set([...data.consents.map((c) => c.clientId), ...data.grants.map((g) => g.clientId)])) {
    const client = await ctx.stores.clients.find(clientId);
    clientNames.set(clientId, client?.metadata.client_name ?? clientId);
  }
  return {
    format: EXPORT_FORMAT,
    issuer: ctx.config.issuer,
    exported_at: ctx.clock(),
    user: { sub: user.id, username: user.username, created_at: user.createdAt, updated_at: user.updatedAt },
    claims: user.claims,
    consents: data.consents.map((c) => ({ client_id: c.clientId, client_name: clientNames.get(c.clientId), scope: c.scope, granted_at: c.grantedAt })),
    sessions: data.sessions.map((s) => ({
      sid: s.sid, auth_time: s.authTime, acr: s.acr, amr: s.amr, created_at: s.createdAt, last_seen_at: s.lastSeenAt,
      idle_expires_at: s.idleExpiresAt, absolute_expires_at: s.absoluteExpiresAt,
    })),
    grants: data.grants.map((g) => ({
      id: g.id, client_id: g.clientId, client_name: clientNames.get(g.clientId), scope: g.scope, claims: g.claims, resource: g.resource,
      auth_time: g.authTime, acr: g.acr, amr: g.amr, created_at: g.createdAt, expires_at: g.expiresAt, revoked_at: g.revokedAt, revoked_reason: g.revokedReason,
      refresh_tokens: data.refreshTokens.filter((t) => t.grantId === g.id).map((t) => ({ scope: t.scope, created_at: t.createdAt, expires_at: t.expiresAt, used_at: t.consumedAt })),
      access_tokens: data.accessTokens.filter((t) => t.grantId === g.id).map((t) => ({
        format: t.format, scope: t.scope, audience: t.audience, created_at: t.createdAt, expires_at: t.expiresAt, revoked_at: t.revokedAt,
      })),
    })),
    mfa: data.mfa ? { enabled: true, enabled_at: data.mfa.enabledAt, recovery_codes_unused: data.mfa.recoveryCodesUnused } : { enabled: false },
    logout_notices: data.logoutDeliveries.map((d) => ({ client_id: d.clientId, sid: d.sid, attempts: d.attempts, created_at: d.createdAt })),
    audit_events: data.auditEvents.map((e) => ({ at: e.at, type: e.type, client_id: e.clientId, ip: e.ip, user_agent: e.userAgent, details: e.details ?? null })),
    request_traces: data.requestTraces.map((t) => ({
      at: t.at, client_id: t.clientId, endpoint: t.endpoint, method: t.method, status: t.status, params: t.params,
      error: t.error?.code ?? null, redirect: t.redirect ?? null,
      // The decoded claims of what was issued; never the one-way hint of a token, which is derived from its hash.
      issued: t.issued.map((token) => ({ kind: token.kind, format: token.format, claims: token.jwt?.claims ?? null, expires_in: token.expiresIn ?? null })),
    })),
  };
}

/** Removes the user and everything about them; returns the rows removed (or anonymised) per table. */
export async function deleteUserData(ctx: Context, user: UserRecord): Promise<Record<string, number>> {
  return ctx.stores.transaction(async (tx) => {
    const removed = await ctx.stores.userData.erase(user.id, user.username, tx);
    // Recorded after the erasure, without the user: the log says a deletion happened, not whose.
    await audit(ctx, undefined, { type: 'user.deleted', details: { removed } }, tx);
    return removed;
  });
}
