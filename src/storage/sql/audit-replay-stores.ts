/**
 * The audit log (never a secret or token in it) and the one-time-key store used for client
 * assertion `jti` replay protection.
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-3 (the authorization server may reject a reused jti)
 */
import type { AuditEvent, AuditFilter, AuditStore, ReplayStore, StoredAuditEvent, Tx } from '../stores.js';
import { fromJson, toNumber } from './json.js';
import { on } from './on.js';
import { type Database, placeholders, type Row, insertRow } from './statements.js';

/**
 * One statement, so two nodes racing on one jti cannot both win: the row is inserted, or an expired
 * row with the same key (it no longer protects anything) is taken over; RETURNING yields the row only
 * then. A live row leaves the update's WHERE false: nothing returned, a replay. SQLite (3.35+) and
 * PostgreSQL both accept it as written.
 */
const REMEMBER_SQL = 'insert into "used_assertions" ("key_hash", "expires_at") values (?, ?) '
  + 'on conflict ("key_hash") do update set "expires_at" = excluded."expires_at" where "used_assertions"."expires_at" <= ? '
  + 'returning "key_hash"';

export class SqlReplayStore implements ReplayStore {
  constructor(private readonly db: Database) {}

  async remember(keyHash: string, expiresAt: number, now: number, tx?: Tx) {
    // (better-sqlite3's lastRowId cannot tell: it keeps the previous rowid after a skipped insert.)
    return (await on(this.db, tx).all(REMEMBER_SQL, [keyHash, expiresAt, now])).length > 0;
  }
}

/** The row of an audit event (also written by the atomic insert of new rows). */
export const auditRow = (event: AuditEvent, at: number): Row => ({
  at, type: event.type, client_id: event.clientId ?? null, user_id: event.userId ?? null, ip: event.ip ?? null,
  user_agent: event.userAgent ?? null, details: event.details ? JSON.stringify(event.details) : null,
});

/** `"type" in (?, ...)`; an empty list matches nothing (never `in ()`, which neither backend accepts). */
const typeIn = (types: string[]): string => (types.length > 0 ? `"type" in ${placeholders(types.length)}` : '1 = 0');

export class SqlAuditStore implements AuditStore {
  constructor(private readonly db: Database) {}

  async record(event: AuditEvent, at: number, tx?: Tx) {
    await insertRow(on(this.db, tx), 'audit_events', auditRow(event, at));
  }

  async list(filter: AuditFilter, tx?: Tx) {
    const where: string[] = [];
    const params: unknown[] = [];
    const types = [...(filter.type ? [filter.type] : []), ...(filter.types ?? [])];
    if (types.length > 0) {
      const any: string[] = [];
      for (const type of types) {
        // A trailing * is a prefix; LIKE wildcards typed by the operator are matched literally.
        if (type.endsWith('*')) {
          any.push(`"type" like ? escape '!'`);
          params.push(`${type.slice(0, -1).replace(/[!%_]/g, (c) => `!${c}`)}%`);
        } else {
          any.push('"type" = ?');
          params.push(type);
        }
      }
      where.push(`(${any.join(' or ')})`);
    }
    if (filter.clientId) { where.push('"client_id" = ?'); params.push(filter.clientId); }
    if (filter.userId) { where.push('"user_id" = ?'); params.push(filter.userId); }
    if (filter.ip) { where.push('"ip" = ?'); params.push(filter.ip); }
    if (filter.since !== undefined) { where.push('"at" >= ?'); params.push(filter.since); }
    if (filter.until !== undefined) { where.push('"at" < ?'); params.push(filter.until); }
    if (filter.afterId !== undefined) { where.push('"id" > ?'); params.push(filter.afterId); }
    params.push(filter.limit ?? 100);
    const sql = `select * from "audit_events"${where.length > 0 ? ` where ${where.join(' and ')}` : ''} `
      + `order by "id" ${filter.order === 'asc' ? 'asc' : 'desc'} limit ?`;
    return (await on(this.db, tx).all(sql, params)).map(toEvent);
  }

  async countByIp(types: string[], since: number, minimum: number, tx?: Tx) {
    const sql = `select "ip", count(*) as "n" from "audit_events" where ${typeIn(types)} and "at" >= ? and "ip" is not null `
      + 'group by "ip" having count(*) >= ?';
    const rows = await on(this.db, tx).all(sql, [...types, since, minimum]);
    return rows.map((row) => ({ ip: row.ip as string, count: toNumber(row.n) }));
  }

  async clientSpread(types: string[], since: number, minimumIps: number, minimumEvents: number, tx?: Tx) {
    const sql = `select "client_id", count(distinct "ip") as "ips", count(*) as "n" from "audit_events" `
      + `where ${typeIn(types)} and "at" >= ? and "client_id" is not null `
      + 'group by "client_id" having count(distinct "ip") >= ? and count(*) >= ?';
    const rows = await on(this.db, tx).all(sql, [...types, since, minimumIps, minimumEvents]);
    return rows.map((row) => ({ clientId: row.client_id as string, ips: toNumber(row.ips), events: toNumber(row.n) }));
  }
}

/** Exported for the user-data export, which reads a user's events with the same shape. */
export const toEvent = (row: Row): StoredAuditEvent => ({
  id: toNumber(row.id), at: toNumber(row.at), type: row.type as string, clientId: (row.client_id as string) ?? null,
  userId: (row.user_id as string) ?? null, ip: (row.ip as string) ?? null, userAgent: (row.user_agent as string) ?? null,
  details: fromJson<Record<string, unknown>>(row.details) ?? undefined,
});
