/**
 * Pushed authorization requests, keyed by SHA-256 of the request_uri handle. Redeeming one is a
 * single conditional update that also checks the client and the expiry, so two redemptions racing
 * on one request_uri (or on two nodes) cannot both win.
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-4 (one-time use, bound to the client)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-7.3 (request_uri replay)
 */
import type { PushedRequestRecord, PushedRequestStore, Tx } from '../stores.js';
import { on } from './on.js';
import { insertRow, type Database } from './statements.js';

/** Parameters: now, hash, client_id, now. RETURNING runs on both SQLite (3.35+) and PostgreSQL. */
const CONSUME = 'update "pushed_authorization_requests" set "consumed_at" = ? where "handle_hash" = ? and "client_id" = ? and "consumed_at" is null and "expires_at" > ? returning "params"';

export class SqlPushedRequestStore implements PushedRequestStore {
  constructor(private readonly db: Database) {}

  async insert(record: PushedRequestRecord, tx?: Tx): Promise<void> {
    await insertRow(on(this.db, tx), 'pushed_authorization_requests', {
      handle_hash: record.handleHash, client_id: record.clientId, params: JSON.stringify(record.params),
      created_at: record.createdAt, expires_at: record.expiresAt, consumed_at: null,
    });
  }

  async consume(handleHash: string, clientId: string, now: number, tx?: Tx): Promise<PushedRequestRecord['params'] | undefined> {
    const row = await on(this.db, tx).one(CONSUME, [now, handleHash, clientId, now]);
    return row ? (JSON.parse(row.params as string) as PushedRequestRecord['params']) : undefined;
  }
}
