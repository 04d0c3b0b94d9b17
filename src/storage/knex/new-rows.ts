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
import type { NewRows } from '../stores.js';
import { auditRow } from './audit-replay-stores.js';
import { isSqlite } from './database.js';
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

interface SqliteConnection {
  prepare(sql: string): { run(...values: unknown[]): unknown };
  transaction(work: () => void): () => void;
}

async function insertSqlite(db: Knex, tables: TableRows[]): Promise<void> {
  const client = db.client as { acquireConnection(): Promise<SqliteConnection>; releaseConnection(conn: SqliteConnection): Promise<void> };
  const conn = await client.acquireConnection();
  try {
    // One row per statement keeps the prepared statement reusable (its text never changes).
    const writes = tables.flatMap((entry) => entry.rows.map((row) => insertStatement({ table: entry.table, rows: [row] })));
    conn.transaction(() => {
      for (const { sql, bindings } of writes) conn.prepare(sql).run(...bindings);
    })();
  } finally {
    await client.releaseConnection(conn);
  }
}

async function insertPostgres(db: Knex, tables: TableRows[]): Promise<void> {
  const statements = tables.map(insertStatement);
  const last = statements[statements.length - 1];
  const chained = statements.slice(0, -1).map((statement, index) => `w${index} as (${statement.sql})`);
  const sql = chained.length > 0 ? `with ${chained.join(', ')} ${last.sql}` : last.sql;
  await db.raw(sql, statements.flatMap((statement) => statement.bindings) as Knex.RawBinding[]);
}

/** Writes every row or none. */
export async function insertNewRows(db: Knex, rows: NewRows): Promise<void> {
  const tables = rowsByTable(rows);
  if (tables.length === 0) return;
  if (isSqlite(db)) await insertSqlite(db, tables);
  else await insertPostgres(db, tables);
}
