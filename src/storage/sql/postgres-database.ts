/**
 * The statement layer on pg: a pool whose every wait is bounded, named prepared statements (parsed
 * and planned once per connection), and typed errors.
 *
 * A PostgreSQL that stalls without refusing connections must cost a bounded wait, not a frozen
 * node: taking a connection waits at most the timeout (`connectionTimeoutMillis`), and each
 * statement races a timer. A connection whose statement timed out is in an unknown state, so it is
 * destroyed rather than returned to the pool. The server also cancels statements and lock waits of
 * its own after the same time (`statement_timeout`, `lock_timeout`).
 * @spec https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT
 * @spec https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
import { hash } from 'node:crypto';
import pg from 'pg';
import { setBounded } from '../bounded-map.js';
import { FaultEpisodes } from '../fault-episodes.js';
import { StorageConflictError, StorageInputError, StorageUnavailableError, assertStorableText } from '../storage-errors.js';
import type { Database, Params, Row, TransactionSql } from './statements.js';

/** PostgreSQL's refusal of a prepared plan whose result columns a schema change altered. */
const STALE_PLAN = '0A000';
/** Distinct statement texts remembered, as SQLite's statement cache. */
const STATEMENT_NAMES = 500;
/** The least time a statement is given, however little of its operation's deadline is left. */
const MIN_STATEMENT_MS = 100;

/** SQLSTATE classes and codes that mean "not now": connection, resources, shutdown, cancelled by a timeout, lock wait. */
const UNAVAILABLE_STATES = /^(08|53|57P0|57014|55P03|40001|40P01)/;

export interface PostgresOptions {
  connectionString: string;
  /** Schema to use (tests give each file its own). */
  searchPath?: string;
  timeoutMs: number;
  maxConnections: number;
}

interface NamedStatement {
  name: string;
  text: string;
}

/**
 * `castellan_<hash>_<generation>` and `$n` placeholders: the name is derived from the text, so
 * every connection prepares the same text under it; a new generation makes every connection
 * prepare it afresh (after a schema change, below).
 */
function namedStatement(sql: string, generation = 0): NamedStatement & { generation: number } {
  let position = 0;
  return { name: `castellan_${hash('sha256', sql, 'hex').slice(0, 24)}_${generation}`, text: sql.replace(/\?/g, () => `$${++position}`), generation };
}

/** A statement inside a transaction met a plan a schema change made stale: the transaction is aborted and is run again. */
class StalePlanInTransaction extends Error {}

function checkedValues(params: Params): unknown[] {
  for (const value of params) if (typeof value === 'string') assertStorableText(value);
  return params as unknown[];
}

export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  readonly inTransaction = false as const;
  readonly faults: FaultEpisodes;
  private readonly pool: pg.Pool;
  private readonly named = new Map<string, NamedStatement & { generation: number }>();
  private readonly watched = new WeakSet<pg.PoolClient>();
  /** Where the database is, for knex's schema migrations (migrations/migrator.ts). */
  readonly settings: { connectionString: string; searchPath?: string; timeoutMs: number };

  constructor(private readonly options: PostgresOptions) {
    this.settings = { connectionString: options.connectionString, searchPath: options.searchPath, timeoutMs: options.timeoutMs };
    this.faults = new FaultEpisodes('database', Math.max(1, Math.ceil(options.timeoutMs / 1000)));
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections,
      connectionTimeoutMillis: options.timeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      options: options.searchPath ? `-c search_path=${options.searchPath}` : undefined,
      statement_timeout: options.timeoutMs,
      lock_timeout: options.timeoutMs,
      idle_in_transaction_session_timeout: options.timeoutMs * 10,
    });
    // An idle connection that breaks is removed by the pool; without a listener the error would end the process.
    this.pool.on('error', (error) => this.faults.failed(`an idle connection failed: ${error.message}`));
  }

  async all(sql: string, params: Params = []): Promise<Row[]> {
    return (await this.alone(sql, params)).rows;
  }

  async one(sql: string, params: Params = []): Promise<Row | undefined> {
    return (await this.alone(sql, params)).rows[0];
  }

  async run(sql: string, params: Params = []): Promise<number> {
    return (await this.alone(sql, params)).rowCount ?? 0;
  }

  async transaction<T>(work: (tx: TransactionSql) => Promise<T>): Promise<T> {
    try {
      return await this.transactionOnce(work);
    } catch (error) {
      // Another node's migration changed a table this transaction read with a prepared plan: the
      // statement now has a new name (a fresh plan everywhere), so the whole transaction runs again.
      if (!(error instanceof StalePlanInTransaction)) throw error;
      return this.transactionOnce(work);
    }
  }

  private transactionOnce<T>(work: (tx: TransactionSql) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      const statement = (sql: string, params: Params = []) => this.query(client, sql, params, Date.now() + this.options.timeoutMs, true);
      await statement('begin');
      const tx: TransactionSql = {
        dialect: 'postgres',
        inTransaction: true,
        all: async (sql, params) => (await statement(sql, params)).rows,
        one: async (sql, params) => (await statement(sql, params)).rows[0],
        run: async (sql, params) => (await statement(sql, params)).rowCount ?? 0,
      };
      try {
        const result = await work(tx);
        await statement('commit');
        return result;
      } catch (error) {
        // A connection that timed out is destroyed (and so rolled back by the server); any other is rolled back here.
        if (!(error instanceof StorageUnavailableError)) await statement('rollback');
        throw error;
      }
    });
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private alone(sql: string, params: Params): Promise<pg.QueryResult<Row>> {
    const deadline = Date.now() + this.options.timeoutMs;
    return this.withClient((client) => this.query(client, sql, params, deadline));
  }

  /** Takes a connection (waiting at most the timeout: connectionTimeoutMillis), runs `work`, and returns it, or destroys it after a fault. */
  private async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.typed(error);
    }
    if (!this.watched.has(client)) {
      // A checked-out connection that breaks between statements emits 'error': the next statement reports it.
      client.on('error', (error) => this.faults.failed(`a connection failed: ${error.message}`));
      this.watched.add(client);
    }
    let fault: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      if (error instanceof StorageUnavailableError) fault = error;
      throw error;
    } finally {
      client.release(fault);
    }
  }

  private query(client: pg.PoolClient, sql: string, params: Params, deadline: number, inTransaction = false): Promise<pg.QueryResult<Row>> {
    const values = checkedValues(params);
    if (values.length === 0 && !sql.includes('?')) return this.timed(client.query<Row>(sql), deadline);
    let statement = this.named.get(sql);
    if (statement === undefined) {
      statement = namedStatement(sql);
      // A forgotten text is named again, identically, when it returns.
      setBounded(this.named, sql, statement, STATEMENT_NAMES);
    }
    const named = statement;
    return this.timed(client.query<Row>({ name: named.name, text: named.text, values }), deadline).catch((error: unknown) => {
      if (!(error instanceof Error) || (error.cause as { code?: string } | undefined)?.code !== STALE_PLAN) throw error;
      // Another node's migration changed the columns behind the plan (a rolling upgrade adding a
      // column under `select *`): the next generation's name is prepared afresh on every connection.
      if (this.named.get(sql) === named) this.named.set(sql, namedStatement(sql, named.generation + 1));
      // Inside a transaction the failure has aborted it: the caller runs the transaction again.
      if (inTransaction) throw new StalePlanInTransaction('a prepared plan went stale inside a transaction', { cause: error });
      return this.query(client, sql, params, deadline);
    });
  }

  /** The statement's result, or StorageUnavailableError once `deadline` has passed. */
  private timed(running: Promise<pg.QueryResult<Row>>, deadline: number): Promise<pg.QueryResult<Row>> {
    return new Promise((resolve, reject) => {
      const limit = Math.max(MIN_STATEMENT_MS, deadline - Date.now());
      const timer = setTimeout(() => reject(this.faults.unavailable(`no answer from PostgreSQL within ${this.options.timeoutMs} ms`)), limit);
      running.then(
        (result) => {
          clearTimeout(timer);
          this.faults.succeeded();
          resolve(result);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(this.typed(error));
        },
      );
    });
  }

  /** A driver error as one of storage-errors.ts; server errors keep their SQLSTATE in `cause`. */
  private typed(error: unknown): unknown {
    const code = String((error as { code?: unknown }).code ?? '');
    const fromServer = (error as { severity?: unknown }).severity !== undefined;
    if (!fromServer) return this.faults.unavailable(`cannot reach PostgreSQL: ${(error as Error).message ?? String(error)}`, error);
    if (code === '23505') return new StorageConflictError('the row already exists', { cause: error });
    if (code.startsWith('22')) return new StorageInputError('the database refused a value', { cause: error });
    if (UNAVAILABLE_STATES.test(code)) return this.faults.unavailable(`PostgreSQL refused the statement (${code}: ${(error as Error).message})`, error);
    return new Error(`PostgreSQL error ${code}`, { cause: error });
  }
}
