/**
 * The audit log (never a secret or token in it) and the one-time-key store used for client
 * assertion `jti` replay protection.
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-3 (the authorization server may reject a reused jti)
 */
import type { Knex } from 'knex';
import type { AuditEvent, AuditStore, ReplayStore, Tx } from '../stores.js';
import { fromJson, toNumber } from './json.js';

export class KnexReplayStore implements ReplayStore {
  constructor(private readonly db: Knex) {}

  async remember(keyHash: string, expiresAt: number, now: number, tx: Tx = this.db) {
    // An expired entry with the same key no longer protects anything; clear it so the insert decides.
    await tx('used_assertions').where({ key_hash: keyHash }).andWhere('expires_at', '<=', now).delete();
    // RETURNING yields the row only when it was inserted. (better-sqlite3's lastRowId is not 0 after an
    // ignored insert: it keeps the connection's previous rowid, so it cannot tell a replay apart.)
    const inserted = await tx('used_assertions').insert({ key_hash: keyHash, expires_at: expiresAt }).onConflict('key_hash').ignore().returning('key_hash');
    return inserted.length > 0;
  }
}

export class KnexAuditStore implements AuditStore {
  constructor(private readonly db: Knex) {}

  async record(event: AuditEvent, at: number, tx: Tx = this.db) {
    await tx('audit_events').insert({
      at, type: event.type, client_id: event.clientId ?? null, user_id: event.userId ?? null, ip: event.ip ?? null,
      user_agent: event.userAgent ?? null, details: event.details ? JSON.stringify(event.details) : null,
    });
  }

  async list(filter: { type?: string; clientId?: string; userId?: string; since?: number; limit?: number }, tx: Tx = this.db) {
    const query = tx('audit_events').orderBy('id', 'desc').limit(filter.limit ?? 100);
    if (filter.type) query.where('type', filter.type);
    if (filter.clientId) query.where('client_id', filter.clientId);
    if (filter.userId) query.where('user_id', filter.userId);
    if (filter.since !== undefined) query.where('at', '>=', filter.since);
    const rows: Record<string, unknown>[] = await query;
    return rows.map((row) => ({
      id: toNumber(row.id), at: toNumber(row.at), type: row.type as string, clientId: (row.client_id as string) ?? null,
      userId: (row.user_id as string) ?? null, ip: (row.ip as string) ?? null, userAgent: (row.user_agent as string) ?? null,
      details: fromJson<Record<string, unknown>>(row.details) ?? undefined,
    }));
  }
}
