/**
 * The one statement layer every store runs on: parameterised SQL with `?` placeholders, the same
 * text on SQLite (better-sqlite3) and PostgreSQL (pg). Each implementation prepares and caches
 * statements per connection, bounds every wait by the configured timeout, and turns driver errors
 * into the typed errors of storage-errors.ts. Stores know this interface, never a driver.
 */
import type { FaultEpisodes } from '../fault-episodes.js';

export type Row = Record<string, unknown>;
export type Params = readonly unknown[];
export type Dialect = 'sqlite' | 'postgres';

/** Where statements run: the database (each statement on its own) or an open transaction. */
export interface Sql {
  readonly dialect: Dialect;
  /** True inside a transaction; what `Tx` in stores.ts stands for. */
  readonly inTransaction: boolean;
  /** Rows of a query, or of a write with RETURNING. */
  all(sql: string, params?: Params): Promise<Row[]>;
  /** The first row of a query, or undefined. */
  one(sql: string, params?: Params): Promise<Row | undefined>;
  /** Runs a write; the number of rows it changed. */
  run(sql: string, params?: Params): Promise<number>;
}

export interface TransactionSql extends Sql {
  readonly inTransaction: true;
}

export interface Database extends Sql {
  readonly inTransaction: false;
  /** The fault episodes of this database (one log line per episode). */
  readonly faults: FaultEpisodes;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. On
   * SQLite it takes the write lock at once (BEGIN IMMEDIATE), so two transactions never deadlock.
   */
  transaction<T>(work: (tx: TransactionSql) => Promise<T>): Promise<T>;
  /** Runs `work` while no statement of this node uses the database (SQLite's WAL checkpoint). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `(?, ?, ?)` for an IN list of `count` values (at least one). */
export const placeholders = (count: number): string => `(${Array.from({ length: count }, () => '?').join(', ')})`;

export const quoteName = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Insert texts per table, built once: a row mapper always gives the same columns in the same order,
 * so issuing a token does not rebuild the text (and the statement cache is then looked up by a
 * string whose hash V8 already knows).
 */
const insertTexts = new Map<string, { columns: string[]; sql: string }>();

/** `insert into "t" ("a", "b") values (?, ?)` for a row as its mapper gives it, with the values in column order. */
export function insertSql(table: string, row: Row): { sql: string; params: unknown[] } {
  const columns = Object.keys(row);
  let known = insertTexts.get(table);
  if (known === undefined || known.columns.length !== columns.length || !known.columns.every((column, i) => column === columns[i])) {
    known = { columns, sql: `insert into ${quoteName(table)} (${columns.map(quoteName).join(', ')}) values ${placeholders(columns.length)}` };
    insertTexts.set(table, known);
  }
  return { sql: known.sql, params: columns.map((column) => row[column] ?? null) };
}

/** Inserts a row as its table's mapper gives it. */
export async function insertRow(sql: Sql, table: string, row: Row): Promise<void> {
  const insert = insertSql(table, row);
  await sql.run(insert.sql, insert.params);
}

/** Update texts per table and key, built once like the insert texts (a mapper always gives the same columns). */
const updateTexts = new Map<string, { columns: string[]; sql: string }>();

/** Writes every column of a mapped row to the row whose `key` column has the same value; the rows changed. */
export function updateRow(sql: Sql, table: string, row: Row, key: string): Promise<number> {
  const columns = Object.keys(row);
  let known = updateTexts.get(`${table}\u0000${key}`);
  if (known === undefined || known.columns.length !== columns.length || !known.columns.every((column, i) => column === columns[i])) {
    known = { columns, sql: `update ${quoteName(table)} set ${columns.map((column) => `${quoteName(column)} = ?`).join(', ')} where ${quoteName(key)} = ?` };
    updateTexts.set(`${table}\u0000${key}`, known);
  }
  return sql.run(known.sql, [...columns.map((column) => row[column] ?? null), row[key]]);
}

/**
 * The insert of a mapper's row followed by an ON CONFLICT tail, the text built once per insert text
 * (a mapper always gives the same columns), so the statement cache sees one constant text.
 */
export function insertThen(table: string, tail: (columns: string[]) => string): (row: Row) => { sql: string; params: unknown[] } {
  const texts = new Map<string, string>();
  return (row) => {
    const { sql, params } = insertSql(table, row);
    let text = texts.get(sql);
    if (text === undefined) texts.set(sql, (text = `${sql} ${tail(Object.keys(row))}`));
    return { sql: text, params };
  };
}

/** `on conflict (key) do update set` every other column to the proposed value: the row replaces the old one. */
export const replacing = (key: string) => (columns: string[]) => `on conflict (${quoteName(key)}) do update set `
  + columns.filter((column) => column !== key).map((column) => `${quoteName(column)} = excluded.${quoteName(column)}`).join(', ');
