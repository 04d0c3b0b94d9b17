/**
 * Opens the database named by DATABASE_URL (sqlite:PATH or postgres://...) and applies migrations
 * from an in-code migration source, so a built package needs no migration directory on disk.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import * as initial from './migrations/001-initial.js';
import * as tokenLifecycle from './migrations/002-token-lifecycle.js';
import * as logout from './migrations/003-logout.js';
import * as mfaLockout from './migrations/004-mfa-lockout.js';
import * as incident from './migrations/005-incident.js';
import * as writeIndexes from './migrations/006-write-indexes.js';
import { setBounded } from '../bounded-map.js';
import { type Checkpointer, DEFAULT_AUTOCHECKPOINT_PAGES, journalSizeLimitPragma, startCheckpointer } from './sqlite-checkpointer.js';

const MIGRATIONS: { name: string; up: (knex: Knex) => Promise<void>; down: (knex: Knex) => Promise<void> }[] = [initial, tokenLifecycle, logout, mfaLockout, incident, writeIndexes];

const migrationSource: Knex.MigrationSource<(typeof MIGRATIONS)[number]> = {
  getMigrations: async () => MIGRATIONS,
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};

type Row = Record<string, unknown>;

/** A prepared better-sqlite3 statement, as the fast paths use it. */
export interface SqliteStatement {
  all(...values: unknown[]): Row[];
  run(...values: unknown[]): { changes: number };
}

/** The pool's better-sqlite3 connection, as the fast paths (point reads, new rows) use it. */
export interface SqliteConnection {
  pragma(text: string): unknown;
  prepare(sql: string): SqliteStatement;
  transaction<A extends unknown[], R>(work: (...args: A) => R): (...args: A) => R;
}

interface Pool<C> {
  acquireConnection(): Promise<C>;
  releaseConnection(conn: C): Promise<unknown>;
}

/**
 * Runs `work` on a connection taken from knex's pool, and gives it back whatever happens. The
 * fast paths that bypass knex's builder use it; on SQLite, holding the one connection also keeps
 * every other query waiting (asynchronously) until `work` is done.
 */
export async function withConnection<C, T>(db: Knex, work: (conn: C) => T | Promise<T>): Promise<T> {
  const pool = db.client as Pool<C>;
  const conn = await pool.acquireConnection();
  try {
    return await work(conn);
  } finally {
    await pool.releaseConnection(conn);
  }
}

/** Distinct SQL texts kept prepared; queries with IN lists of varying length make new texts. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * knex prepares every statement again on each query; with better-sqlite3 preparing costs more than
 * running a point query. The statements knex builds repeat (same SQL, new bindings), so the
 * connection keeps the prepared ones. Reuse is safe: knex runs each with all()/run(), synchronously,
 * never leaving one mid-iteration, and SQLite re-prepares a cached statement after a schema change.
 */
function cachePreparedStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, SqliteStatement>();
  conn.prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      setBounded(cache, sql, statement, STATEMENT_CACHE_SIZE);
    }
    return statement;
  };
}

const checkpointers = new WeakMap<Knex, Checkpointer>();

/** The WAL checkpoint worker of a database opened with `checkpointOffThread`, if any. */
export function sqliteCheckpointerOf(db: Knex): Checkpointer | undefined {
  return checkpointers.get(db);
}

export interface OpenOptions {
  /** PostgreSQL schema to use (tests give each file its own). */
  searchPath?: string;
  /**
   * SQLite file databases: checkpoint the WAL on a worker thread instead of inside commits
   * (sqlite-checkpointer.ts). The server turns it on; short-lived CLI commands do not need it.
   */
  checkpointOffThread?: boolean;
}

export function openDatabase(databaseUrl: string, options: OpenOptions = {}): Knex {
  if (databaseUrl.startsWith('sqlite:')) {
    const filename = databaseUrl.slice('sqlite:'.length) || ':memory:';
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
    const offThread = options.checkpointOffThread === true && filename !== ':memory:';
    let autocheckpointPages = offThread ? 0 : DEFAULT_AUTOCHECKPOINT_PAGES;
    let connection: SqliteConnection | undefined;
    const db = knexFactory({
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      // One connection: better-sqlite3 is synchronous, and one writer avoids SQLITE_BUSY.
      pool: {
        min: 1,
        max: 1,
        afterCreate: (conn: SqliteConnection, done: (error: Error | null, conn: unknown) => void) => {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('busy_timeout = 5000');
          conn.pragma(`wal_autocheckpoint = ${autocheckpointPages}`);
          conn.pragma(journalSizeLimitPragma);
          cachePreparedStatements(conn);
          connection = conn;
          done(null, conn);
        },
      },
    });
    if (!offThread) return db;
    const holdConnection = <T>(work: () => Promise<T>) => withConnection(db, work);
    const checkpointer = startCheckpointer(filename, holdConnection, (error) => {
      // Without the worker, SQLite's own checkpoints keep the WAL bounded again.
      autocheckpointPages = DEFAULT_AUTOCHECKPOINT_PAGES;
      connection?.pragma(`wal_autocheckpoint = ${autocheckpointPages}`);
      process.emitWarning(`SQLite checkpoint worker stopped (${error instanceof Error ? error.message : 'exited'}); checkpoints run in commits again`, { code: 'CASTELLAN_SQLITE_CHECKPOINTER' });
    });
    checkpointers.set(db, checkpointer);
    return db;
  }
  return knexFactory({
    client: 'pg',
    connection: databaseUrl,
    searchPath: options.searchPath ? [options.searchPath] : undefined,
    pool: { min: 0, max: 20 },
  });
}

/** Closes what openDatabase opened: the checkpoint worker first (with its last checkpoint), then the pool. */
export async function closeDatabase(db: Knex): Promise<void> {
  await checkpointers.get(db)?.stop();
  await db.destroy();
}

export async function migrate(db: Knex): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

export function isSqlite(db: Knex): boolean {
  return db.client.config.client === 'better-sqlite3';
}
