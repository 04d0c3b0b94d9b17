/**
 * Schema migrations, the one place knex remains: its schema builder writes the DDL of both
 * databases. Requests never reach knex; it runs at start-up (and for `castellan migrate`).
 * On SQLite, knex runs on the statement layer's own connection, so an in-memory database (the
 * tests) is migrated in place; on PostgreSQL it opens one connection of its own and closes it.
 */
import knexFactory, { type Knex } from 'knex';
import Client_BetterSQLite3 from 'knex/lib/dialects/better-sqlite3/index.js';
import type { Database } from '../sql/statements.js';
import { PostgresDatabase } from '../sql/postgres-database.js';
import { SqliteDatabase } from '../sql/sqlite-database.js';
import * as initial from './001-initial.js';
import * as tokenLifecycle from './002-token-lifecycle.js';
import * as logout from './003-logout.js';
import * as mfaLockout from './004-mfa-lockout.js';
import * as incident from './005-incident.js';
import * as writeIndexes from './006-write-indexes.js';
import * as deviceAuthorization from './007-device-authorization.js';
import * as tokenExchange from './008-token-exchange.js';
import * as dpop from './009-dpop.js';
import * as refreshRetry from './010-refresh-retry.js';
import * as requestTraces from './011-request-traces.js';
import * as testControl from './012-test-control.js';
import * as pushedAuthorizationRequests from './013-pushed-authorization-requests.js';
import * as certificateBinding from './014-certificate-binding.js';

const MIGRATIONS: { name: string; up: (knex: Knex) => Promise<void>; down: (knex: Knex) => Promise<void> }[] = [initial, tokenLifecycle, logout, mfaLockout, incident, writeIndexes, deviceAuthorization, tokenExchange, dpop, refreshRetry, requestTraces, testControl, pushedAuthorizationRequests, certificateBinding];

const migrationSource: Knex.MigrationSource<(typeof MIGRATIONS)[number]> = {
  getMigrations: async () => MIGRATIONS,
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};

/** The longest one migration statement may run on PostgreSQL (an index build on a large table). */
export const MIGRATION_STATEMENT_LIMIT_MS = 10 * 60_000;

/** A knex instance on the same database: SQLite's one connection, or a small pool of PostgreSQL's. Destroy it after use. */
export function schemaKnex(database: Database): Knex {
  if (database instanceof SqliteDatabase) {
    const shared = database.connectionForSchemaChanges();
    class SharedConnection extends Client_BetterSQLite3 {
      override async acquireRawConnection() {
        return shared;
      }

      override async destroyRawConnection() {
        // The statement layer owns the connection and closes it.
      }
    }
    return knexFactory({ client: SharedConnection, connection: { filename: database.filename }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  }
  if (database instanceof PostgresDatabase) {
    const { connectionString, searchPath, timeoutMs } = database.settings;
    // Bounded like the statement layer: connecting waits the database timeout, and a DDL statement
    // waits at most that long for a table lock (queued behind a busy node's lock, an ALTER would
    // block every query on the table meanwhile). The statement itself may run long on a big table,
    // but a silent server is given up on after MIGRATION_STATEMENT_LIMIT_MS.
    const connection = {
      connectionString, connectionTimeoutMillis: timeoutMs, lock_timeout: timeoutMs,
      statement_timeout: MIGRATION_STATEMENT_LIMIT_MS, query_timeout: MIGRATION_STATEMENT_LIMIT_MS,
    };
    return knexFactory({ client: 'pg', connection, searchPath: searchPath ? [searchPath] : undefined, pool: { min: 0, max: 1 }, acquireConnectionTimeout: timeoutMs });
  }
  throw new Error('unknown database');
}

export interface MigrationReport {
  /** Every migration applied now, in order. */
  applied: string[];
  /** The ones this call applied. */
  ran: string[];
}

/** Applies pending migrations (each in its own transaction; knex's lock keeps two nodes from migrating at once). */
export async function migrate(database: Database): Promise<MigrationReport> {
  const knex = schemaKnex(database);
  try {
    // SQLite: knex's statements run on the shared connection, so the layer must not be mid-transaction.
    return await database.exclusive(async () => {
      const [, ran] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
      const [completed] = (await knex.migrate.list({ migrationSource })) as [{ name: string }[], unknown[]];
      return { applied: completed.map((migration) => migration.name), ran };
    });
  } finally {
    await knex.destroy();
  }
}
