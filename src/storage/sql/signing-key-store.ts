/** Signing keys and their life-cycle state in `signing_keys`. */
import type { SigningKeyRecord, SigningKeyStore, Tx } from '../stores.js';
import { fromJson, toNumber, toNumberOrNull } from './json.js';
import { on } from './on.js';
import { type Database, type Row, insertRow, updateRow } from './statements.js';

/** Advisory lock id for key changes on PostgreSQL ("castkeys" in ASCII). */
const KEY_CHANGE_LOCK = '7161131826351012211';

const toRecord = (row: Row): SigningKeyRecord => ({
  kid: row.kid as string,
  alg: row.alg as string,
  state: row.state as SigningKeyRecord['state'],
  publicJwk: fromJson(row.public_jwk)!,
  privateEncrypted: row.private_encrypted as string,
  createdAt: toNumber(row.created_at),
  activatedAt: toNumberOrNull(row.activated_at),
  retiredAt: toNumberOrNull(row.retired_at),
  removeAfter: toNumberOrNull(row.remove_after),
});

const toRow = (key: SigningKeyRecord): Row => ({
  kid: key.kid,
  alg: key.alg,
  state: key.state,
  public_jwk: JSON.stringify(key.publicJwk),
  private_encrypted: key.privateEncrypted,
  created_at: key.createdAt,
  activated_at: key.activatedAt,
  retired_at: key.retiredAt,
  remove_after: key.removeAfter,
});

const LIST_PUBLISHED = `select * from "signing_keys" where ("state" in ('next', 'active') or ("state" = 'retired' and "remove_after" > ?)) order by "created_at" desc`;
const LIST_ALL = 'select * from "signing_keys" order by "created_at" desc';
const REMOVE_EXPIRED = `delete from "signing_keys" where "state" = 'retired' and "remove_after" <= ?`;
const ADVISORY_LOCK = 'select pg_advisory_xact_lock(?::bigint)';

export class SqlSigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: Database) {}

  async listPublished(now: number, tx?: Tx) {
    return (await on(this.db, tx).all(LIST_PUBLISHED, [now])).map(toRecord);
  }

  async listAll(tx?: Tx) {
    return (await on(this.db, tx).all(LIST_ALL)).map(toRecord);
  }

  async insert(key: SigningKeyRecord, tx?: Tx) {
    await insertRow(on(this.db, tx), 'signing_keys', toRow(key));
  }

  async update(key: SigningKeyRecord, tx?: Tx) {
    await updateRow(on(this.db, tx), 'signing_keys', toRow(key), 'kid');
  }

  async removeExpired(now: number, tx?: Tx) {
    return on(this.db, tx).run(REMOVE_EXPIRED, [now]);
  }

  async lockForChange(tx: Tx) {
    const sql = on(this.db, tx);
    // SQLite: every transaction begins IMMEDIATE, so `tx` already holds the write lock; nothing to take.
    if (sql.dialect === 'sqlite') return;
    // Held until the transaction ends; a second node waits here, then sees the first one's keys.
    await sql.one(ADVISORY_LOCK, [KEY_CHANGE_LOCK]);
  }
}
