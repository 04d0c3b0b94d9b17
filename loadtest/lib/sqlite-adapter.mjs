/**
 * oidc-provider on SQLite, stored as Castellan stores its own data: better-sqlite3 on a file with
 * journal_mode=WAL and synchronous=NORMAL. The adapter interface of oidc-provider's docs (upsert,
 * find, findByUid, findByUserCode, consume, destroy, revokeByGrantId) over one table, one row per
 * model entry: the payload as JSON, the lookup columns (grant_id, user_code, uid) indexed, the
 * expiry as a column (an expired row is never returned; a bounded benchmark needs no sweeper) and
 * `consumed_at` set by consume. Every statement is prepared once. better-sqlite3 is synchronous,
 * so the provider's event loop waits on each statement, as it would with any in-process SQLite.
 */
import Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_entries (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  user_code TEXT,
  uid TEXT,
  expires_at INTEGER,
  consumed_at INTEGER,
  PRIMARY KEY (model, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS oidc_entries_grant_id ON oidc_entries (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_entries_user_code ON oidc_entries (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_entries_uid ON oidc_entries (model, uid) WHERE uid IS NOT NULL;
`;

/** Models whose entries belong to a grant and go when it is revoked (oidc-provider's MemoryAdapter's list). */
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

/** An adapter class for oidc-provider on the SQLite file `file` (created when missing). */
export function createSqliteAdapter({ file }) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);

  const now = () => Math.floor(Date.now() / 1000);
  const statements = {
    upsert: db.prepare(`INSERT INTO oidc_entries (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
      VALUES (@model, @id, @payload, @grantId, @userCode, @uid, @expiresAt, NULL)
      ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
        user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at, consumed_at = NULL`),
    find: db.prepare('SELECT payload, consumed_at FROM oidc_entries WHERE model = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)'),
    findByUid: db.prepare('SELECT payload, consumed_at FROM oidc_entries WHERE model = ? AND uid = ? AND (expires_at IS NULL OR expires_at > ?)'),
    findByUserCode: db.prepare('SELECT payload, consumed_at FROM oidc_entries WHERE model = ? AND user_code = ? AND (expires_at IS NULL OR expires_at > ?)'),
    consume: db.prepare('UPDATE oidc_entries SET consumed_at = ? WHERE model = ? AND id = ?'),
    destroy: db.prepare('DELETE FROM oidc_entries WHERE model = ? AND id = ?'),
    revokeByGrantId: db.prepare('DELETE FROM oidc_entries WHERE grant_id = ?'),
  };
  const entry = (row) => (row ? { ...JSON.parse(row.payload), ...(row.consumed_at !== null ? { consumed: row.consumed_at } : {}) } : undefined);

  class SqliteAdapter {
    constructor(name) {
      this.name = name;
    }

    async upsert(id, payload, expiresIn) {
      statements.upsert.run({
        model: this.name,
        id,
        payload: JSON.stringify(payload),
        grantId: grantable.has(this.name) ? payload.grantId ?? null : null,
        userCode: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expiresAt: expiresIn ? now() + expiresIn : null,
      });
    }

    async find(id) {
      return entry(statements.find.get(this.name, id, now()));
    }

    async findByUid(uid) {
      return entry(statements.findByUid.get(this.name, uid, now()));
    }

    async findByUserCode(userCode) {
      return entry(statements.findByUserCode.get(this.name, userCode, now()));
    }

    async consume(id) {
      statements.consume.run(now(), this.name, id);
    }

    async destroy(id) {
      statements.destroy.run(this.name, id);
    }

    // Only grantable models record grant_id, so one indexed delete removes every token of the grant.
    async revokeByGrantId(grantId) {
      statements.revokeByGrantId.run(grantId);
    }
  }

  return { Adapter: SqliteAdapter, db };
}
