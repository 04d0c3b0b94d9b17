/**
 * Everything stored about one user, read for an export or erased for a deletion. USER_TABLES names
 * every table with a user column; tokens and codes hang off the user's grants. The audit log keeps
 * its events (the security record of what happened) but loses the link to the person: user, address
 * and user agent are cleared.
 * @spec https://eur-lex.europa.eu/eli/reg/2016/679/oj (GDPR Art. 15 access, Art. 17 erasure)
 */
import type { Tx, UserDataSnapshot, UserDataStore } from '../stores.js';
import { toEvent } from './audit-replay-stores.js';
import { traceFromRow } from './request-trace-store.js';
import { toRecord as toGrant } from './grant-store.js';
import { fromJson, toNumber, toNumberOrNull } from './json.js';
import { on } from './on.js';
import { type Database, quoteName } from './statements.js';

/** Tables whose rows belong to one user through a `user_id` column (children before parents). */
export const USER_TABLES = ['mfa_challenges', 'recovery_codes', 'user_mfa', 'interactions', 'sessions', 'consents', 'logout_deliveries', 'device_authorizations'] as const;
/** Tables whose rows belong to a grant of the user. */
export const GRANT_TABLES = ['authorization_codes', 'refresh_tokens', 'access_tokens', 'refresh_retry_answers'] as const;

/** The ids of the user's grants, as a subquery taking the user id. */
const USER_GRANT_IDS = '(select "id" from "grants" where "user_id" = ?)';

const COLLECT = {
  consents: 'select * from "consents" where "user_id" = ? order by "granted_at"',
  sessions: 'select * from "sessions" where "user_id" = ? order by "created_at"',
  grants: 'select * from "grants" where "user_id" = ? order by "created_at"',
  refresh: `select * from "refresh_tokens" where "grant_id" in ${USER_GRANT_IDS} order by "created_at"`,
  access: `select * from "access_tokens" where "grant_id" in ${USER_GRANT_IDS} order by "created_at"`,
  mfa: 'select * from "user_mfa" where "user_id" = ? limit 1',
  unused: 'select count(*) as "n" from "recovery_codes" where "user_id" = ? and "used_at" is null',
  deliveries: 'select * from "logout_deliveries" where "user_id" = ? order by "created_at"',
  events: 'select * from "audit_events" where "user_id" = ? order by "id"',
  traces: `select * from "request_traces" where "details" like ? escape '!' or "details" like ? escape '!' order by "id"`,
};

const ERASE_BY_GRANT = GRANT_TABLES.map((table) => [table, `delete from ${quoteName(table)} where "grant_id" in ${USER_GRANT_IDS}`] as const);
const ERASE_GRANTS = 'delete from "grants" where "user_id" = ?';
const ERASE_BY_USER = USER_TABLES.map((table) => [table, `delete from ${quoteName(table)} where "user_id" = ?`] as const);
const ERASE_THROTTLE_RESETS = 'delete from "login_throttle_resets" where "username" = ?';
const ANONYMISE_AUDIT = 'update "audit_events" set "user_id" = null, "ip" = null, "user_agent" = null where "user_id" = ?';
const ERASE_USER = 'delete from "users" where "id" = ?';
/** The request inspector's recordings that name the user (decoded token claims, login_hint), matched as text (COLLECT.traces reads the same). */
const ERASE_TRACES = `delete from "request_traces" where "details" like ? escape '!' or "details" like ? escape '!'`;
const containing = (text: string) => `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;

export class SqlUserDataStore implements UserDataStore {
  constructor(private readonly db: Database) {}

  async collect(userId: string, username: string, tx?: Tx): Promise<UserDataSnapshot> {
    const sql = on(this.db, tx);
    const [consents, sessions, grants, refresh, access, mfa, unused, deliveries, events, traces] = await Promise.all([
      sql.all(COLLECT.consents, [userId]),
      sql.all(COLLECT.sessions, [userId]),
      sql.all(COLLECT.grants, [userId]),
      sql.all(COLLECT.refresh, [userId]),
      sql.all(COLLECT.access, [userId]),
      sql.one(COLLECT.mfa, [userId]),
      sql.one(COLLECT.unused, [userId]),
      sql.all(COLLECT.deliveries, [userId]),
      sql.all(COLLECT.events, [userId]),
      sql.all(COLLECT.traces, [containing(userId), containing(username)]),
    ]);
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
      requestTraces: traces.map(traceFromRow),
    };
  }

  async erase(userId: string, username: string, tx?: Tx): Promise<Record<string, number>> {
    const sql = on(this.db, tx);
    const removed: Record<string, number> = {};
    for (const [table, text] of ERASE_BY_GRANT) removed[table] = await sql.run(text, [userId]);
    removed.grants = await sql.run(ERASE_GRANTS, [userId]);
    // SQLite does not enforce the foreign keys of the MFA tables, so every table is cleared by hand.
    for (const [table, text] of ERASE_BY_USER) removed[table] = await sql.run(text, [userId]);
    removed.login_throttle_resets = await sql.run(ERASE_THROTTLE_RESETS, [username]);
    removed.audit_events_anonymised = await sql.run(ANONYMISE_AUDIT, [userId]);
    removed.request_traces = await sql.run(ERASE_TRACES, [containing(userId), containing(username)]);
    removed.users = await sql.run(ERASE_USER, [userId]);
    return removed;
  }
}
