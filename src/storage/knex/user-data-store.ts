/**
 * Everything stored about one user, read for an export or erased for a deletion. USER_TABLES names
 * every table with a user column; tokens and codes hang off the user's grants. The audit log keeps
 * its events (the security record of what happened) but loses the link to the person: user, address
 * and user agent are cleared.
 * @spec https://eur-lex.europa.eu/eli/reg/2016/679/oj (GDPR Art. 15 access, Art. 17 erasure)
 */
import type { Knex } from 'knex';
import type { Tx, UserDataSnapshot, UserDataStore } from '../stores.js';
import { toEvent } from './audit-replay-stores.js';
import { toRecord as toGrant } from './grant-store.js';
import { fromJson, toNumber, toNumberOrNull } from './json.js';

type Row = Record<string, unknown>;

/** Tables whose rows belong to one user through a `user_id` column (children before parents). */
export const USER_TABLES = ['mfa_challenges', 'recovery_codes', 'user_mfa', 'interactions', 'sessions', 'consents', 'logout_deliveries'] as const;
/** Tables whose rows belong to a grant of the user. */
export const GRANT_TABLES = ['authorization_codes', 'refresh_tokens', 'access_tokens'] as const;

export class KnexUserDataStore implements UserDataStore {
  constructor(private readonly db: Knex) {}

  async collect(userId: string, tx: Tx = this.db): Promise<UserDataSnapshot> {
    const grantIds = tx('grants').select('id').where({ user_id: userId });
    const [consents, sessions, grants, refresh, access, mfa, unused, deliveries, events] = await Promise.all([
      tx('consents').where({ user_id: userId }).orderBy('granted_at'),
      tx('sessions').where({ user_id: userId }).orderBy('created_at'),
      tx('grants').where({ user_id: userId }).orderBy('created_at'),
      tx('refresh_tokens').whereIn('grant_id', grantIds).orderBy('created_at'),
      tx('access_tokens').whereIn('grant_id', grantIds).orderBy('created_at'),
      tx('user_mfa').where({ user_id: userId }).first(),
      tx('recovery_codes').where({ user_id: userId }).whereNull('used_at').count({ n: '*' }).first(),
      tx('logout_deliveries').where({ user_id: userId }).orderBy('created_at'),
      tx('audit_events').where({ user_id: userId }).orderBy('id'),
    ]) as [Row[], Row[], Row[], Row[], Row[], Row | undefined, Row | undefined, Row[], Row[]];
    return {
      consents: consents.map((row) => ({ userId, clientId: row.client_id as string, scope: row.scope as string, grantedAt: toNumber(row.granted_at) })),
      sessions: sessions.map((row) => ({
        userId, sid: row.sid as string, authTime: toNumber(row.auth_time), acr: (row.acr as string) ?? null, amr: fromJson(row.amr),
        createdAt: toNumber(row.created_at), lastSeenAt: toNumber(row.last_seen_at), idleExpiresAt: toNumber(row.idle_expires_at),
        absoluteExpiresAt: toNumber(row.absolute_expires_at),
      })),
      grants: grants.map(toGrant),
      refreshTokens: refresh.map((row) => ({
        grantId: row.grant_id as string, clientId: row.client_id as string, scope: row.scope as string,
        createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at), consumedAt: toNumberOrNull(row.consumed_at),
      })),
      accessTokens: access.map((row) => ({
        format: row.format as 'opaque' | 'jwt', grantId: row.grant_id as string, clientId: row.client_id as string, scope: row.scope as string,
        audience: fromJson(row.audience), createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at), revokedAt: toNumberOrNull(row.revoked_at),
      })),
      mfa: mfa ? { enabledAt: toNumber(mfa.enabled_at), recoveryCodesUnused: toNumber(unused?.n ?? 0) } : null,
      logoutDeliveries: deliveries.map((row) => ({
        id: row.id as string, clientId: row.client_id as string, sid: (row.sid as string) ?? null, attempts: toNumber(row.attempts),
        nextAttemptAt: toNumber(row.next_attempt_at), createdAt: toNumber(row.created_at), lastError: (row.last_error as string) ?? null,
      })),
      auditEvents: events.map(toEvent),
    };
  }

  async erase(userId: string, username: string, tx: Tx = this.db): Promise<Record<string, number>> {
    const removed: Record<string, number> = {};
    const grantIds = tx('grants').select('id').where({ user_id: userId });
    for (const table of GRANT_TABLES) removed[table] = await tx(table).whereIn('grant_id', grantIds).delete();
    removed.grants = await tx('grants').where({ user_id: userId }).delete();
    // SQLite does not enforce the foreign keys of the MFA tables, so every table is cleared by hand.
    for (const table of USER_TABLES) removed[table] = await tx(table).where({ user_id: userId }).delete();
    removed.login_throttle_resets = await tx('login_throttle_resets').where({ username }).delete();
    removed.audit_events_anonymised = await tx('audit_events').where({ user_id: userId }).update({ user_id: null, ip: null, user_agent: null });
    removed.users = await tx('users').where({ id: userId }).delete();
    return removed;
  }
}
