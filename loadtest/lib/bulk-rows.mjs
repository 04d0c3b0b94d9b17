/**
 * Bulk rows for the growth and soak scenarios, written straight into Castellan's database beside a
 * running node, through knex (a loading tool beside the node, not Castellan's request path), with
 * the connection settings Castellan uses:
 * - live access tokens, one grant each, copied from a real row the node wrote (same client, scope,
 *   format), with random hashes and ids like the node's own, expiring over the next hour;
 * - expired rows of every kind the retention pass deletes, and audit events beyond retention;
 * - row counts.
 * One INSERT ... SELECT per table: generate_series on PostgreSQL, a recursive CTE on SQLite.
 */
import { randomBytes } from 'node:crypto';

/** A knex handle on `databaseUrl` (SQLite: one connection, WAL, a busy timeout: bulk loads may wait for the node). */
export async function openCastellanDatabase(databaseUrl) {
  const { default: knexFactory } = await import('knex');
  const isPostgres = !databaseUrl.startsWith('sqlite:');
  const db = isPostgres
    ? knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 4 } })
    : knexFactory({
      client: 'better-sqlite3', connection: { filename: databaseUrl.slice('sqlite:'.length) }, useNullAsDefault: true,
      pool: { min: 1, max: 1, afterCreate: (conn, done) => { conn.pragma('journal_mode = WAL'); conn.pragma('busy_timeout = 30000'); done(null, conn); } },
    });
  db.isPostgres = isPostgres;
  if (!db.isPostgres) await db.raw('PRAGMA cache_size = -262144');
  return db;
}

export async function countRows(db, tables) {
  const counts = {};
  for (const table of tables) counts[table] = Number((await db(table).count({ n: '*' }))[0].n);
  return counts;
}

/**
 * A numbered row source of `rows` rows with a random 32-hex grant id and 64-hex token hash each,
 * inside `trx`: a temporary table (SQLite, recursive CTE) or a subquery (PostgreSQL, generate_series).
 */
async function sequence(trx, rows) {
  if (trx.isPostgres) {
    // Derived from a per-call salt and n, so the grants and the tokens statements agree on the ids.
    const salt = randomBytes(8).toString('hex');
    return `(SELECT n, md5('${salt}g' || n) AS gid, encode(sha256(('${salt}t' || n)::bytea), 'hex') AS th FROM generate_series(1, ${rows}) AS n) AS s`;
  }
  await trx.raw('DROP TABLE IF EXISTS temp.growth_seq');
  await trx.raw(`CREATE TEMP TABLE growth_seq AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ${rows})
    SELECT n, lower(hex(randomblob(16))) AS gid, lower(hex(randomblob(32))) AS th FROM c`);
  return 'temp.growth_seq AS s';
}

/**
 * Inserts `rows` access tokens with a grant each, modelled on the newest grant of `clientId` and its
 * access token; `expiresAt(n)` is an SQL expression of the row number n. Returns the seconds taken.
 */
export async function insertTokens(db, { rows, clientId, now, expiresAt }) {
  const started = Date.now();
  const template = await db('grants').where({ client_id: clientId }).orderBy('created_at', 'desc').first('id');
  if (!template) throw new Error(`no grant of ${clientId} to copy`);
  await db.transaction(async (trx) => {
    trx.isPostgres = db.isPostgres;
    const from = await sequence(trx, rows);
    await trx.raw(`INSERT INTO grants (id, client_id, user_id, scope, claims, resource, auth_time, acr, amr, sid, created_at, expires_at, revoked_at, revoked_reason)
      SELECT s.gid, g.client_id, g.user_id, g.scope, g.claims, g.resource, g.auth_time, g.acr, g.amr, g.sid, ${now}, ${expiresAt('s.n')}, NULL, NULL
      FROM ${from} CROSS JOIN (SELECT * FROM grants WHERE id = ?) AS g`, [template.id]);
    await trx.raw(`INSERT INTO access_tokens (token_hash, format, grant_id, client_id, scope, audience, created_at, expires_at, revoked_at)
      SELECT s.th, a.format, s.gid, a.client_id, a.scope, a.audience, ${now}, ${expiresAt('s.n')}, NULL
      FROM ${from} CROSS JOIN (SELECT * FROM access_tokens WHERE grant_id = ? LIMIT 1) AS a`, [template.id]);
    if (!db.isPostgres) await trx.raw('DROP TABLE temp.growth_seq');
  });
  return (Date.now() - started) / 1000;
}

/** Per table: the columns and, in terms of s.n, s.gid, s.th and the moment `at`, their values. */
const EXPIRED_ROWS = {
  refresh_tokens: ['token_hash, grant_id, client_id, scope, created_at, expires_at, consumed_at', (c) => `s.th, s.gid, '${c}', 'openid offline_access', at - 3600, at, NULL`],
  authorization_codes: ['code_hash, grant_id, client_id, redirect_uri, code_challenge, code_challenge_method, nonce, scope, created_at, expires_at, consumed_at', (c) => `s.th, s.gid, '${c}', 'https://rp.example/cb', NULL, NULL, NULL, 'openid', at - 600, at, at - 300`],
  sessions: ['id_hash, user_id, sid, auth_time, acr, amr, created_at, last_seen_at, idle_expires_at, absolute_expires_at', () => `s.th, 'growth-user', s.gid, at - 43200, NULL, NULL, at - 43200, at - 1800, at - 1800, at`],
  interactions: ['uid_hash, request, user_id, csrf_token_hash, created_at, expires_at', () => `s.th, '{}', NULL, s.gid, at - 900, at`],
  used_assertions: ['key_hash, expires_at', () => 's.th, at'],
  audit_events: ['at, type, client_id, user_id, ip, user_agent, details', (c) => `at, 'token.issued', '${c}', NULL, '192.0.2.1', NULL, '{}'`],
};

/**
 * Rows the retention pass must delete: `rows` expired access tokens with their grants (expired
 * before `tokenCutoff`), and as many expired refresh tokens, codes, sessions, interactions, replay
 * entries, and audit events older than `auditCutoff`. Returns the seconds taken.
 */
export async function insertExpired(db, { rows, clientId, now, tokenCutoff, auditCutoff }) {
  const started = Date.now();
  // Spread over an hour before the cutoff, so the rows are not all one expiry value.
  const before = (cutoff) => (n) => `(${cutoff} - 60 - (${n} % 3600))`;
  await insertTokens(db, { rows, clientId, now, expiresAt: before(tokenCutoff) });
  for (const [table, [columns, values]] of Object.entries(EXPIRED_ROWS)) {
    const at = (table === 'audit_events' ? before(auditCutoff) : before(tokenCutoff))('s.n');
    await db.transaction(async (trx) => {
      trx.isPostgres = db.isPostgres;
      const from = await sequence(trx, rows);
      await trx.raw(`INSERT INTO ${table} (${columns}) SELECT ${values(clientId).replace(/\bat\b/g, at)} FROM ${from}`);
      if (!db.isPostgres) await trx.raw('DROP TABLE temp.growth_seq');
    });
  }
  return (Date.now() - started) / 1000;
}

export const RETAINED_TABLES = ['access_tokens', 'grants', 'refresh_tokens', 'authorization_codes', 'sessions', 'interactions', 'used_assertions', 'audit_events'];
