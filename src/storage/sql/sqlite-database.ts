/**
 * The statement layer on better-sqlite3: one connection, statements prepared once and cached, and
 * no wait that blocks the event loop.
 *
 * better-sqlite3 is synchronous, so two things could freeze the server: SQLite's busy handler
 * (another process holds the write lock: a backup, the CLI, a second node on the same file) and a
 * statement queued behind an open transaction. Neither waits on the event loop here:
 * - `busy_timeout` is 0; a busy answer is retried after an asynchronous pause that doubles up to
 *   BUSY_PAUSE_MAX_MS, until the operation's deadline, then fails as StorageUnavailableError.
 * - One user of the connection at a time (a transaction holds it across its awaits); the others
 *   wait their turn asynchronously, each until its own deadline.
 * Transactions begin IMMEDIATE: the write lock is taken (or waited for) before any work, so a
 * transaction never fails half-way because another writer got in first.
 * @spec https://www.sqlite.org/wal.html
 * @spec https://www.sqlite.org/lang_transaction.html (BEGIN IMMEDIATE)
 * @spec https://www.sqlite.org/rescode.html#busy
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { setBounded } from '../bounded-map.js';
import { FaultEpisodes } from '../fault-episodes.js';
import { StorageConflictError, StorageInputError, assertStorableText } from '../storage-errors.js';
import type { Checkpointer } from './sqlite-checkpointer.js';
import type { Database, Params, Row, TransactionSql } from './statements.js';
import { Turns } from './turns.js';

type Statement = BetterSqlite3.Statement<unknown[], Row>;

/** Distinct SQL texts kept prepared; IN lists of varying length make new texts. */
const STATEMENT_CACHE_SIZE = 500;
const BUSY_PAUSE_MAX_MS = 25;

const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED', 'SQLITE_LOCKED_SHAREDCACHE']);
/** The file cannot be used at all (full disk, removed file, I/O failure): try again later. */
const UNAVAILABLE_PREFIXES = ['SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PROTOCOL', 'SQLITE_NOMEM'];

const codeOf = (error: unknown): string => String((error as { code?: unknown }).code ?? '');

/** better-sqlite3 binds numbers, strings, bigints, buffers and null; booleans become 0/1 as knex stored them. */
function bindable(params: Params): unknown[] {
  const values = new Array<unknown>(params.length);
  for (let i = 0; i < params.length; i += 1) {
    const value = params[i];
    if (typeof value === 'string') assertStorableText(value);
    values[i] = value === undefined ? null : typeof value === 'boolean' ? Number(value) : value;
  }
  return values;
}

export interface SqliteOptions {
  /** Longest wait of one operation (its turn plus busy retries), in milliseconds. */
  timeoutMs: number;
  /** 0 when a worker thread checkpoints the WAL (sqlite-checkpointer.ts). */
  autocheckpointPages: number;
  journalSizeLimitBytes: number;
}

export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  readonly inTransaction = false as const;
  readonly faults: FaultEpisodes;
  private readonly connection: BetterSqlite3.Database;
  private readonly statements = new Map<string, Statement>();
  private readonly turns = new Turns();
  private readonly inside: TransactionSql;
  private checkpointer: Checkpointer | undefined;

  constructor(readonly filename: string, private readonly options: SqliteOptions) {
    this.faults = new FaultEpisodes('database', Math.max(1, Math.ceil(options.timeoutMs / 1000)));
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
    this.connection = new BetterSqlite3(filename);
    this.connection.pragma('journal_mode = WAL');
    this.connection.pragma('synchronous = NORMAL');
    this.connection.pragma('busy_timeout = 0');
    this.connection.pragma(`journal_size_limit = ${options.journalSizeLimitBytes}`);
    this.setAutocheckpoint(options.autocheckpointPages);
    const self = this;
    this.inside = {
      dialect: 'sqlite',
      inTransaction: true,
      all: (sql, params = []) => self.retried(() => self.rowsOf(sql, params), Date.now() + self.options.timeoutMs),
      one: async (sql, params = []) => (await self.retried(() => self.rowsOf(sql, params), Date.now() + self.options.timeoutMs))[0],
      run: (sql, params = []) => self.retried(() => self.changesOf(sql, params), Date.now() + self.options.timeoutMs),
    };
  }

  /** The raw connection, for knex's schema migrations only (migrations/migrator.ts); requests never use it. */
  connectionForSchemaChanges(): unknown {
    return this.connection;
  }

  /** The WAL checkpoint worker (sqlite-checkpointer.ts), stopped with its last checkpoint on close. */
  attachCheckpointer(checkpointer: Checkpointer): void {
    this.checkpointer = checkpointer;
  }

  get walCheckpointer(): Checkpointer | undefined {
    return this.checkpointer;
  }

  setAutocheckpoint(pages: number): void {
    this.connection.pragma(`wal_autocheckpoint = ${pages}`);
  }

  all(sql: string, params: Params = []): Promise<Row[]> {
    return this.alone(() => this.rowsOf(sql, params));
  }

  async one(sql: string, params: Params = []): Promise<Row | undefined> {
    return (await this.alone(() => this.rowsOf(sql, params)))[0];
  }

  run(sql: string, params: Params = []): Promise<number> {
    return this.alone(() => this.changesOf(sql, params));
  }

  async transaction<T>(work: (tx: TransactionSql) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.options.timeoutMs;
    await this.turns.take(deadline, this.timedOut);
    try {
      await this.retried(() => this.prepared('begin immediate').run(), deadline);
      try {
        const result = await work(this.inside);
        await this.retried(() => this.prepared('commit').run(), deadline);
        return result;
      } catch (error) {
        if (this.connection.inTransaction) this.prepared('rollback').run();
        throw error;
      }
    } finally {
      this.turns.give();
    }
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    await this.turns.take(Date.now() + this.options.timeoutMs, this.timedOut);
    try {
      return await work();
    } finally {
      this.turns.give();
    }
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    await this.turns.take(Date.now() + this.options.timeoutMs, this.timedOut).catch(() => undefined);
    this.connection.close();
  }

  private readonly timedOut = () => this.faults.unavailable(`no turn on the database connection within ${this.options.timeoutMs} ms`);

  /** A driver error other than busy as one of storage-errors.ts. */
  private typed(error: unknown): unknown {
    const code = codeOf(error);
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return new StorageConflictError('the row already exists', { cause: error });
    if (code === 'SQLITE_TOOBIG' || code === 'SQLITE_MISMATCH') return new StorageInputError('the database refused a value', { cause: error });
    if (UNAVAILABLE_PREFIXES.some((prefix) => code.startsWith(prefix))) return this.faults.unavailable(`SQLite cannot use the database file (${code})`, error);
    return error;
  }

  /** A statement outside any transaction: it runs at once when nobody holds the connection (Turns.take's fast path). */
  private async alone<T>(statement: () => T): Promise<T> {
    const deadline = Date.now() + this.options.timeoutMs;
    await this.turns.take(deadline, this.timedOut);
    try {
      return await this.retried(statement, deadline);
    } finally {
      this.turns.give();
    }
  }

  /** Runs `statement`; a busy answer is retried after an asynchronous pause until `deadline`. */
  private async retried<T>(statement: () => T, deadline: number): Promise<T> {
    for (let pause = 1; ; pause = Math.min(pause * 2, BUSY_PAUSE_MAX_MS)) {
      try {
        const result = statement();
        this.faults.succeeded();
        return result;
      } catch (error) {
        if (!BUSY_CODES.has(codeOf(error))) throw this.typed(error);
        if (Date.now() + pause > deadline) throw this.faults.unavailable(`the database stayed locked by another connection for ${this.options.timeoutMs} ms (${codeOf(error)})`, error);
        await sleep(pause);
      }
    }
  }

  private prepared(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.connection.prepare(sql) as Statement;
      setBounded(this.statements, sql, statement, STATEMENT_CACHE_SIZE);
    }
    return statement;
  }

  private rowsOf(sql: string, params: Params): Row[] {
    const statement = this.prepared(sql);
    const values = bindable(params);
    if (statement.reader) return statement.all(...values);
    statement.run(...values);
    return [];
  }

  private changesOf(sql: string, params: Params): number {
    return this.prepared(sql).run(...bindable(params)).changes;
  }
}
