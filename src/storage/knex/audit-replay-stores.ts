/**
 * The audit log (never a secret or token in it) and the one-time-key store used for client
 * assertion `jti` replay protection.
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-3 (the authorization server may reject a reused jti)
 */
import type { Knex } from 'knex';
import type { AuditEvent, AuditFilter, AuditStore, ReplayStore, StoredAuditEvent, Tx } from '../stores.js';
import { fromJson, toNumber } from './json.js';
import { queryRows } from './point-read.js';

/**
 * One statement, so two nodes racing on one jti cannot both win: the row is inserted, or an expired
 * row with the same key (it no longer protects anything) is taken over; RETURNING yields the row only
 * then. A live row leaves the update's WHERE false: nothing returned, a replay. SQLite (3.35+) and
 * PostgreSQL both accept it as written.
 */
const REMEMBER_SQL = 'insert into "used_assertions" ("key_hash", "expires_at") values (?, ?) '
  + 'on conflict ("key_hash") do update set "expires_at" = excluded."expires_at" where "used_assertions"."expires_at" <= ? '
  + 'returning "key_hash"';

export class KnexReplayStore implements ReplayStore {
  constructor(private readonly db: Knex) {}

  async remember(keyHash: string, expiresAt: number, now: number, tx: Tx = this.db) {
    // (better-sqlite3's lastRowId cannot tell: it keeps the previous rowid after a skipped insert.)
    return (await queryRows(this.db, tx, REMEMBER_SQL, [keyHash, expiresAt, now])).length > 0;
  }
}

/** The row of an audit event (also written by the atomic insert of new rows). */
export const auditRow = (event: AuditEvent, at: number): Record<string, unknown> => ({
  at, type: event.type, client_id: event.clientId ?? null, user_id: event.userId ?? null, ip: event.ip ?? null,
  user_agent: event.userAgent ?? null, details: event.details ? JSON.stringify(event.details) : null,
});

export class KnexAuditStore implements AuditStore {
  constructor(private readonly db: Knex) {}

  async record(event: AuditEvent, at: number, tx: Tx = this.db) {
    await tx('audit_events').insert(auditRow(event, at));
  }

  async list(filter: AuditFilter, tx: Tx = this.db) {
    const query = tx('audit_events').orderBy('id', filter.order ?? 'desc').limit(filter.limit ?? 100);
    const types = [...(filter.type ? [filter.type] : []), ...(filter.types ?? [])];
    if (types.length > 0) {
      query.where((q) => {
        for (const type of types) {
          // A trailing * is a prefix; LIKE wildcards typed by the operator are matched literally.
          if (type.endsWith('*')) q.orWhereRaw("type like ? escape '!'", [`${type.slice(0, -1).replace(/[!%_]/g, (c) => `!${c}`)}%`]);
          else q.orWhere('type', type);
        }
      });
    }
    if (filter.clientId) query.where('client_id', filter.clientId);
    if (filter.userId) query.where('user_id', filter.userId);
    if (filter.ip) query.where('ip', filter.ip);
    if (filter.since !== undefined) query.where('at', '>=', filter.since);
    if (filter.until !== undefined) query.where('at', '<', filter.until);
    if (filter.afterId !== undefined) query.where('id', '>', filter.afterId);
    const rows: Record<string, unknown>[] = await query;
    return rows.map(toEvent);
  }

  async countByIp(types: string[], since: number, minimum: number, tx: Tx = this.db) {
    const rows: Record<string, unknown>[] = await tx('audit_events')
      .select('ip').count({ n: '*' })
      .whereIn('type', types).andWhere('at', '>=', since).whereNotNull('ip')
      .groupBy('ip').havingRaw('count(*) >= ?', [minimum]);
    return rows.map((row) => ({ ip: row.ip as string, count: toNumber(row.n) }));
  }

  async clientSpread(types: string[], since: number, minimumIps: number, minimumEvents: number, tx: Tx = this.db) {
    const rows: Record<string, unknown>[] = await tx('audit_events')
      .select('client_id').countDistinct({ ips: 'ip' }).count({ n: '*' })
      .whereIn('type', types).andWhere('at', '>=', since).whereNotNull('client_id')
      .groupBy('client_id').havingRaw('count(distinct ip) >= ? and count(*) >= ?', [minimumIps, minimumEvents]);
    return rows.map((row) => ({ clientId: row.client_id as string, ips: toNumber(row.ips), events: toNumber(row.n) }));
  }
}

/** Exported for the user-data export, which reads a user's events with the same shape. */
export const toEvent = (row: Record<string, unknown>): StoredAuditEvent => ({
  id: toNumber(row.id), at: toNumber(row.at), type: row.type as string, clientId: (row.client_id as string) ?? null,
  userId: (row.user_id as string) ?? null, ip: (row.ip as string) ?? null, userAgent: (row.user_agent as string) ?? null,
  details: fromJson<Record<string, unknown>>(row.details) ?? undefined,
});
