/**
 * New rows in several tables written atomically in one go: the token endpoint's issuance (grant,
 * tokens, audit event) when nothing has to be checked or updated first (client credentials), and
 * the authorization endpoint's code (grant, code, audit event) through remembered consent.
 *
 * Why not a knex transaction: DESIGN.md asks for one round trip where the database allows, and the
 * knex transaction machinery (BEGIN, one awaited query per row, COMMIT) costs more than the writes.
 * - PostgreSQL: one statement, the inserts chained as data-modifying CTEs. A single statement is
 *   atomic, so no BEGIN/COMMIT is needed; the tables have no foreign keys between them.
 * - SQLite: the pool's only connection is taken from knex, and the rows are written in one
 *   synchronous better-sqlite3 transaction with prepared statements (nothing else can interleave).
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.4.3
 */
import type { Knex } from 'knex';
import type { NewRows, SingleUseConsumption } from '../stores.js';
import { auditRow } from './audit-replay-stores.js';
import { isSqlite, type SqliteConnection, withConnection } from './database.js';
import { runPreparedPostgres } from './point-read.js';
import { grantRow } from './grant-store.js';
import { accessTokenRow, authorizationCodeRow, refreshTokenRow } from './token-stores.js';

type Row = Record<string, unknown>;

interface TableRows {
  table: string;
  rows: Row[];
}

/** The rows per table, in a fixed order; empty tables left out. */
export function rowsByTable(rows: NewRows): TableRows[] {
  return [
    { table: 'grants', rows: (rows.grants ?? []).map(grantRow) },
    { table: 'authorization_codes', rows: (rows.authorizationCodes ?? []).map(authorizationCodeRow) },
    { table: 'access_tokens', rows: (rows.accessTokens ?? []).map(accessTokenRow) },
    { table: 'refresh_tokens', rows: (rows.refreshTokens ?? []).map(refreshTokenRow) },
    { table: 'audit_events', rows: (rows.auditEvents ?? []).map(({ event, at }) => auditRow(event, at)) },
  ].filter((entry) => entry.rows.length > 0);
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** `insert into "t" ("a", "b") values (?, ?), (?, ?)` with its bindings; every row has the mapper's columns. */
function insertStatement({ table, rows }: TableRows): { sql: string; bindings: unknown[] } {
  const columns = Object.keys(rows[0]);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  return {
    sql: `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values ${rows.map(() => tuple).join(', ')}`,
    bindings: rows.flatMap((row) => columns.map((column) => row[column] ?? null)),
  };
}

/** The conditional update that consumes a code or refresh token, with its bindings. */
function consumeStatement(consume: SingleUseConsumption): { sql: string; bindings: unknown[] } {
  const [table, key] = consume.kind === 'authorization_code' ? ['authorization_codes', 'code_hash'] : ['refresh_tokens', 'token_hash'];
  return { sql: `update ${quote(table)} set "consumed_at" = ? where ${quote(key)} = ? and "consumed_at" is null`, bindings: [consume.at, consume.hash] };
}

/**
 * One-row insert texts per table and column list. The row mappers always give the same columns in
 * the same order, so the text is built once instead of on every issuance (and the statement cache
 * is then looked up by a string whose hash V8 already knows).
 */
const singleRowInserts = new Map<string, { columns: string[]; sql: string }>();

function singleRowInsert(table: string, row: Row): { sql: string; bindings: unknown[] } {
  const columns = Object.keys(row);
  const known = singleRowInserts.get(table);
  const same = known !== undefined && known.columns.length === columns.length && known.columns.every((column, i) => column === columns[i]);
  const entry = same ? known : { columns, sql: insertStatement({ table, rows: [row] }).sql };
  if (!same) singleRowInserts.set(table, entry);
  return { sql: entry.sql, bindings: columns.map((column) => row[column] ?? null) };
}

interface SqliteWrite {
  writes: { sql: string; bindings: unknown[] }[];
  consume?: { sql: string; bindings: unknown[] };
}

/**
 * The write as one better-sqlite3 transaction function per connection: creating the wrapper with
 * conn.transaction() on every call cost more than some of the inserts. Returns false, with nothing
 * written, when the consumption found its artifact already used.
 */
const sqliteWriters = new WeakMap<SqliteConnection, (write: SqliteWrite) => boolean>();

function sqliteWriterOf(conn: SqliteConnection): (write: SqliteWrite) => boolean {
  let writer = sqliteWriters.get(conn);
  if (!writer) {
    writer = conn.transaction(({ writes, consume }: SqliteWrite) => {
      if (consume && conn.prepare(consume.sql).run(...consume.bindings).changes !== 1) return false;
      for (const { sql, bindings } of writes) conn.prepare(sql).run(...bindings);
      return true;
    });
    sqliteWriters.set(conn, writer);
  }
  return writer;
}

function insertSqlite(db: Knex, tables: TableRows[], consume?: SingleUseConsumption): Promise<boolean> {
  // One row per statement keeps the prepared statement reusable (its text never changes).
  const writes = tables.flatMap((entry) => entry.rows.map((row) => singleRowInsert(entry.table, row)));
  const write = { writes, consume: consume && consumeStatement(consume) };
  return withConnection(db, (conn: SqliteConnection) => sqliteWriterOf(conn)(write));
}

/**
 * One statement: the inserts chained as CTEs. With `consume`, the conditional update comes first
 * and every insert selects its values only if that update found the artifact unused; the last
 * insert returns its row, so no row back means "already used, nothing written".
 */
async function insertPostgres(db: Knex, tables: TableRows[], consume?: SingleUseConsumption): Promise<boolean> {
  const parts: string[] = [];
  const bindings: unknown[] = [];
  if (consume) {
    const update = consumeStatement(consume);
    parts.push(`used as (${update.sql} returning 1)`);
    bindings.push(...update.bindings);
  }
  // With a consumption, insert ... values (...) becomes insert ... select ... where exists (select 1 from used).
  const statements = tables.map((entry) => (consume ? guardedInsert(entry) : insertStatement(entry)));
  statements.slice(0, -1).forEach((statement, index) => {
    parts.push(`w${index} as (${statement.sql})`);
    bindings.push(...statement.bindings);
  });
  const last = statements[statements.length - 1];
  bindings.push(...last.bindings);
  const sql = `${parts.length > 0 ? `with ${parts.join(', ')} ` : ''}${last.sql}${consume ? ' returning 1 as written' : ''}`;
  // A named prepared statement: the same shape of issuance repeats, so PostgreSQL plans it once per connection.
  const result = await runPreparedPostgres(db, sql, bindings);
  return consume ? (result.rowCount ?? 0) > 0 : true;
}

/** `insert into "t" (cols) select ?, ? where exists (select 1 from used) union all select ...` per row. */
function guardedInsert({ table, rows }: TableRows): { sql: string; bindings: unknown[] } {
  const columns = Object.keys(rows[0]);
  const select = `select ${columns.map(() => '?').join(', ')} where exists (select 1 from used)`;
  return {
    sql: `insert into ${quote(table)} (${columns.map(quote).join(', ')}) ${rows.map(() => select).join(' union all ')}`,
    bindings: rows.flatMap((row) => columns.map((column) => row[column] ?? null)),
  };
}

/** Writes every row or none; false (nothing written) when `consume` found its artifact already used. */
export async function insertNewRows(db: Knex, rows: NewRows, consume?: SingleUseConsumption): Promise<boolean> {
  const tables = rowsByTable(rows);
  if (tables.length === 0 && !consume) return true;
  if (tables.length === 0) throw new Error('a consumption needs rows to write with it');
  return isSqlite(db) ? insertSqlite(db, tables, consume) : insertPostgres(db, tables, consume);
}
