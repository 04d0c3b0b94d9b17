/** Signing keys and their life-cycle state in `signing_keys`. */
import type { Knex } from 'knex';
import type { SigningKeyRecord, SigningKeyStore, Tx } from '../stores.js';
import { isSqlite } from './database.js';
import { fromJson, toNumber, toNumberOrNull } from './json.js';

/** Advisory lock id for key changes on PostgreSQL ("castkeys" in ASCII). */
const KEY_CHANGE_LOCK = '7161131826351012211';

type Row = Record<string, unknown>;

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

export class KnexSigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: Knex) {}

  async listPublished(now: number, tx: Tx = this.db) {
    const rows = await tx('signing_keys')
      .where((q) => q.whereIn('state', ['next', 'active']).orWhere((r) => r.where('state', 'retired').andWhere('remove_after', '>', now)))
      .orderBy('created_at', 'desc');
    return rows.map(toRecord);
  }

  async listAll(tx: Tx = this.db) {
    return (await tx('signing_keys').orderBy('created_at', 'desc')).map(toRecord);
  }

  async insert(key: SigningKeyRecord, tx: Tx = this.db) {
    await tx('signing_keys').insert(toRow(key));
  }

  async update(key: SigningKeyRecord, tx: Tx = this.db) {
    await tx('signing_keys').where({ kid: key.kid }).update(toRow(key));
  }

  async removeExpired(now: number, tx: Tx = this.db) {
    return tx('signing_keys').where('state', 'retired').andWhere('remove_after', '<=', now).delete();
  }

  async lockForChange(tx: Tx) {
    if (isSqlite(this.db)) {
      // A write statement takes SQLite's write lock at once, before anything is read (a no-op otherwise).
      await tx('signing_keys').where('kid', null).update({ state: 'next' });
      return;
    }
    // Held until the transaction ends; a second node waits here, then sees the first one's keys.
    await tx.raw('select pg_advisory_xact_lock(?::bigint)', [KEY_CHANGE_LOCK]);
  }
}
