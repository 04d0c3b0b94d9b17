/**
 * Pushed authorization requests, keyed by SHA-256 of the request_uri handle. Reading one checks the
 * client, the expiry and that it is unused; using it up is a single conditional update, so two sign-ins
 * racing on one request_uri (or on two nodes) cannot both win.
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-4 (one-time use, bound to the client)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-7.3 (request_uri replay)
 */
import type { PushedRequestRecord, PushedRequestStore, Tx } from '../stores.js';
import { on } from './on.js';
import { insertRow, type Database } from './statements.js';

/** Parameters: hash, client_id, now. */
const FIND = 'select "params" from "pushed_authorization_requests" where "handle_hash" = ? and "client_id" = ? and "consumed_at" is null and "expires_at" > ?';
/** Parameters: at, hash, client_id. */
const CONSUME = 'update "pushed_authorization_requests" set "consumed_at" = ? where "handle_hash" = ? and "client_id" = ? and "consumed_at" is null';

export class SqlPushedRequestStore implements PushedRequestStore {
  constructor(private readonly db: Database) {}

  async insert(record: PushedRequestRecord, tx?: Tx): Promise<void> {
    await insertRow(on(this.db, tx), 'pushed_authorization_requests', {
      handle_hash: record.handleHash, client_id: record.clientId, params: JSON.stringify(record.params),
      created_at: record.createdAt, expires_at: record.expiresAt, consumed_at: null,
    });
  }

  async find(handleHash: string, clientId: string, now: number): Promise<PushedRequestRecord['params'] | undefined> {
    const row = await this.db.one(FIND, [handleHash, clientId, now]);
    return row ? (JSON.parse(row.params as string) as PushedRequestRecord['params']) : undefined;
  }

  async consume(handleHash: string, clientId: string, at: number, tx?: Tx): Promise<boolean> {
    return (await on(this.db, tx).run(CONSUME, [at, handleHash, clientId])) === 1;
  }
}
