/**
 * Sealed answers of refresh token rotations, kept for the client's reuse grace period. They are
 * written by the issuance write (new-rows.ts) together with the rotation itself, so an answer exists
 * exactly when its rotation committed; they are read by a retry of the consumed token.
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
import type { RefreshRetryAnswer, RefreshRetryStore, Tx } from '../stores.js';
import { toNumber } from './json.js';
import { on } from './on.js';
import type { Database, Row } from './statements.js';

export const refreshRetryRow = (answer: RefreshRetryAnswer): Row => ({
  parent_hash: answer.parentHash, client_id: answer.clientId, grant_id: answer.grantId, sealed: answer.sealed,
  created_at: answer.createdAt, expires_at: answer.expiresAt,
});

const toRecord = (row: Row): RefreshRetryAnswer => ({
  parentHash: row.parent_hash as string,
  clientId: row.client_id as string,
  grantId: row.grant_id as string,
  sealed: row.sealed as string,
  createdAt: toNumber(row.created_at),
  expiresAt: toNumber(row.expires_at),
});

const FIND = 'select * from "refresh_retry_answers" where "parent_hash" = ? limit 1';

export class SqlRefreshRetryStore implements RefreshRetryStore {
  constructor(private readonly db: Database) {}

  async find(parentHash: string, tx?: Tx): Promise<RefreshRetryAnswer | undefined> {
    const row = await on(this.db, tx).one(FIND, [parentHash]);
    return row ? toRecord(row) : undefined;
  }
}
