/**
 * Point reads on the hot paths (a row by its key: a session, a user, a consent, a code, a token with
 * its grant) as fixed SQL, run on a pooled connection without knex's query builder.
 *
 * Why: profiles of the authorization and token endpoints showed knex building and compiling the same
 * `select ... where key = ? limit 1` on every request costing several times the read itself
 * (loadtest/RESULTS.md). The SQL text here is built once per table and key; bindings change.
 * - SQLite: the pool's one connection runs a prepared statement synchronously (database.ts keeps it).
 * - PostgreSQL: a named prepared statement, so the server parses and plans it once per connection.
 * - Inside a transaction the same SQL runs through knex on the transaction (`tx.raw`), so the read
 *   sees the transaction's own writes and takes part in it.
 * Results are the driver's rows, exactly what knex returns for the same query.
 */
import { hash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Tx } from '../stores.js';
import { setBounded } from '../bounded-map.js';
import { isSqlite, type SqliteConnection, withConnection } from './database.js';

export type Row = Record<string, unknown>;

interface PgResult {
  rows: Row[];
  rowCount: number | null;
}

interface PgConnection {
  query(query: { name?: string; text: string; values: readonly unknown[] }): Promise<PgResult>;
}

/** PostgreSQL's refusal of a prepared plan whose result columns a schema change altered. */
const STALE_PLAN = '0A000';

/** Per connection, the named statements whose plan went stale there: they run unnamed from then on. */
const stalePlans = new WeakMap<PgConnection, Set<string>>();

/**
 * Runs the named statement. When another node's migration has changed the columns behind it (a
 * rolling upgrade adding a column under `select *`), PostgreSQL refuses the cached plan on this
 * connection for good; the query is then parsed afresh, unnamed, here and on every later use of
 * this connection (a new connection prepares it again under its name).
 */
async function queryNamed(conn: PgConnection, statement: { name: string; text: string }, values: readonly unknown[]): Promise<PgResult> {
  const stale = stalePlans.get(conn);
  if (stale?.has(statement.name)) return conn.query({ text: statement.text, values });
  try {
    return await conn.query({ ...statement, values });
  } catch (error) {
    if ((error as { code?: string }).code !== STALE_PLAN) throw error;
    stalePlans.set(conn, (stale ?? new Set()).add(statement.name));
    return conn.query({ text: statement.text, values });
  }
}

type Reader = (sql: string, bindings: readonly unknown[]) => Promise<Row[]>;

const sqliteReader = (db: Knex): Reader => (sql, bindings) => withConnection(db, (conn: SqliteConnection) => conn.prepare(sql).all(...bindings));

/** Distinct statement texts remembered per database, as the SQLite statement cache (database.ts). */
const STATEMENT_NAMES = 500;

/** `castellan_<hash>` and `$n` placeholders: the name is derived from the text, so every connection prepares the same text under it. */
function namedStatement(sql: string): { name: string; text: string } {
  let position = 0;
  return { name: `castellan_${hash('sha256', sql, 'hex').slice(0, 24)}`, text: sql.replace(/\?/g, () => `$${++position}`) };
}

type PgRunner = (sql: string, bindings: readonly unknown[]) => Promise<PgResult>;

function postgresRunner(db: Knex): PgRunner {
  const statements = new Map<string, { name: string; text: string }>();
  return (sql, bindings) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = namedStatement(sql);
      // Bounded like the SQLite cache; a forgotten text is named again, identically, when it returns.
      setBounded(statements, sql, statement, STATEMENT_NAMES);
    }
    const named = statement;
    return withConnection(db, (conn: PgConnection) => queryNamed(conn, named, bindings));
  };
}

const pgRunners = new WeakMap<Knex, PgRunner>();

/**
 * PostgreSQL only: runs a fixed `?`-placeholder statement as a named prepared statement on a pooled
 * connection (parsed and planned once per connection), outside any transaction.
 */
export function runPreparedPostgres(db: Knex, sql: string, bindings: readonly unknown[]): Promise<PgResult> {
  let runner = pgRunners.get(db);
  if (!runner) {
    runner = postgresRunner(db);
    pgRunners.set(db, runner);
  }
  return runner(sql, bindings);
}

const readers = new WeakMap<Knex, Reader>();

/**
 * Rows of a fixed `?`-placeholder statement (a query, or a write with RETURNING): fast path on `db`,
 * through knex inside a transaction.
 */
export async function queryRows(db: Knex, tx: Tx, sql: string, bindings: readonly unknown[]): Promise<Row[]> {
  if (tx !== db) {
    const result = (await tx.raw(sql, bindings as Knex.RawBinding[])) as Row[] | { rows: Row[] };
    return Array.isArray(result) ? result : result.rows;
  }
  let reader = readers.get(db);
  if (!reader) {
    reader = isSqlite(db) ? sqliteReader(db) : async (text, values) => (await runPreparedPostgres(db, text, values)).rows;
    readers.set(db, reader);
  }
  return reader(sql, bindings);
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const keySql = new Map<string, string>();

/** `select * from "table" where "a" = ? and "b" = ? limit 1`, built once per table and key columns. */
function findOneSql(table: string, columns: readonly string[]): string {
  const key = `${table}\u0000${columns.join('\u0000')}`;
  let sql = keySql.get(key);
  if (!sql) {
    sql = `select * from ${quote(table)} where ${columns.map((column) => `${quote(column)} = ?`).join(' and ')} limit 1`;
    keySql.set(key, sql);
  }
  return sql;
}

/** The row whose key columns equal `key` (every value a non-null string or number), or undefined. */
export async function findOne(db: Knex, tx: Tx, table: string, key: Record<string, string | number>): Promise<Row | undefined> {
  const columns = Object.keys(key);
  const [row] = await queryRows(db, tx, findOneSql(table, columns), columns.map((column) => key[column]));
  return row;
}
