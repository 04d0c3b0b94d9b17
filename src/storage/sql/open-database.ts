/**
 * Opens the database named by DATABASE_URL (`sqlite:PATH` or `postgres://...`) on the statement
 * layer, and at start-up waits a bounded time for it to become reachable and migrated.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { stderrReporter } from '../fault-episodes.js';
import { migrate } from '../migrations/migrator.js';
import { StorageUnavailableError } from '../storage-errors.js';
import { PostgresDatabase } from './postgres-database.js';
import { POSTGRES_POOL_BUDGET } from '../../config/worker-settings.js';
import { DEFAULT_AUTOCHECKPOINT_PAGES, JOURNAL_SIZE_LIMIT_BYTES, startCheckpointer } from './sqlite-checkpointer.js';
import { SqliteDatabase } from './sqlite-database.js';
import type { Database } from './statements.js';

export const DEFAULT_DATABASE_TIMEOUT_MS = 3_000;
/**
 * Autocheckpoint of a worker process whose primary runs the checkpoint thread (WORKERS above 1): a
 * backstop only, ten times SQLite's default, reached only if that thread has stopped; it keeps the
 * WAL bounded (about 40 MB of 4 KiB pages) without putting checkpoints back into every worker's commits.
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 10 * DEFAULT_AUTOCHECKPOINT_PAGES;

export interface OpenOptions {
  /** PostgreSQL schema to use (tests give each file its own). */
  searchPath?: string;
  /** Longest wait of one database operation. */
  timeoutMs?: number;
  /**
   * SQLite file databases: checkpoint the WAL on a worker thread instead of inside commits
   * (sqlite-checkpointer.ts). The server turns it on; short-lived CLI commands do not need it.
   */
  checkpointOffThread?: boolean;
  /**
   * SQLite file databases shared by worker processes: another process (the primary) checkpoints,
   * so this connection only keeps the backstop above; exclusive of `checkpointOffThread`.
   */
  checkpointElsewhere?: boolean;
  /** PostgreSQL pool size (POSTGRES_POOL_BUDGET unless workers share it, config/worker-settings.ts). */
  maxConnections?: number;
  /**
   * False in a worker process: its primary migrated before forking, and workers starting together
   * must not contend for knex's migration lock (the loser would fail its start).
   */
  migrate?: boolean;
}

export function openDatabase(databaseUrl: string, options: OpenOptions = {}): Database {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
  if (!databaseUrl.startsWith('sqlite:')) {
    return new PostgresDatabase({ connectionString: databaseUrl, searchPath: options.searchPath, timeoutMs, maxConnections: options.maxConnections ?? POSTGRES_POOL_BUDGET });
  }
  const filename = databaseUrl.slice('sqlite:'.length) || ':memory:';
  const offThread = options.checkpointOffThread === true && filename !== ':memory:';
  const autocheckpointPages = offThread ? 0 : options.checkpointElsewhere ? BACKSTOP_AUTOCHECKPOINT_PAGES : DEFAULT_AUTOCHECKPOINT_PAGES;
  const database = new SqliteDatabase(filename, { timeoutMs, autocheckpointPages, journalSizeLimitBytes: JOURNAL_SIZE_LIMIT_BYTES });
  if (offThread) {
    database.attachCheckpointer(startCheckpointer(filename, (work) => database.exclusive(work), (error) => {
      // Without the worker, SQLite's own checkpoints keep the WAL bounded again.
      database.setAutocheckpoint(DEFAULT_AUTOCHECKPOINT_PAGES);
      process.emitWarning(`SQLite checkpoint worker stopped (${error instanceof Error ? error.message : 'exited'}); checkpoints run in commits again`, { code: 'CASTELLAN_SQLITE_CHECKPOINTER' });
    }));
  }
  return database;
}

/** DATABASE_URL with its password replaced, fit for a log line. */
export function maskedDatabaseUrl(databaseUrl: string): string {
  if (databaseUrl.startsWith('sqlite:')) return databaseUrl;
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://(unparseable)';
  }
}

export class DatabaseStartupError extends Error {}

/**
 * Opens and migrates the database, retrying while it is unreachable (a database that starts after
 * the node, as in docker-compose) for at most `waitMs`; then fails with one line naming
 * DATABASE_URL, credentials masked, and the cause.
 */
export async function openMigrated(databaseUrl: string, options: OpenOptions & { waitMs: number; onRetry?: (cause: string) => void }): Promise<Database> {
  const giveUpAt = Date.now() + options.waitMs;
  for (let pause = 250; ; pause = Math.min(pause * 2, 5_000)) {
    const database = openDatabase(databaseUrl, options);
    // While starting, each failed attempt is reported once through onRetry, not as a fault episode.
    database.faults.reportTo(() => undefined);
    try {
      // Reachability first, through the layer (bounded, typed errors); then knex runs the migrations.
      await database.one('select 1 as "reachable"');
      if (options.migrate !== false) await migrate(database);
      database.faults.reportTo(stderrReporter);
      return database;
    } catch (error) {
      await database.close().catch(() => undefined);
      const cause = causeOf(error);
      const retryable = error instanceof StorageUnavailableError || isConnectionError(error);
      const remaining = giveUpAt - Date.now();
      if (!retryable || remaining <= 0) {
        const waited = retryable && options.waitMs > 0 ? ` (still unreachable after ${Math.round(options.waitMs / 1000)} s)` : '';
        throw new DatabaseStartupError(`cannot open the database DATABASE_URL=${maskedDatabaseUrl(databaseUrl)}: ${cause}${waited}`, { cause: error });
      }
      options.onRetry?.(cause);
      await sleep(Math.min(pause, remaining));
    }
  }
}

/** Errors knex's own connection gives while the database is down or busy. */
function isConnectionError(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code ?? '');
  return /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|57P03|SQLITE_BUSY)/.test(code) || /timeout|terminated|Connection/i.test(String((error as Error).message));
}

function causeOf(error: unknown): string {
  let current: unknown = error;
  // The driver's own words are the most precise cause (connect ECONNREFUSED 127.0.0.1:5432).
  while (current instanceof StorageUnavailableError && current.cause !== undefined) current = current.cause;
  const message = current instanceof Error ? current.message : String(current);
  return message.split('\n')[0];
}
