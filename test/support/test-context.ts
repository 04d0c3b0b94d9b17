/**
 * A fresh Castellan context per test file: SQLite in memory by default, or PostgreSQL when
 * TEST_DATABASE_URL is set (each context gets its own schema, dropped on close). The clock is
 * controllable so expiry is tested without sleeping. The `createTestContextWith*` helpers open one
 * together with what most suites set up first: its app, a client, or a user.
 */
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import knexFactory, { type Knex } from 'knex';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createApp } from '../../src/server/app.js';
import { bootstrap } from '../../src/server/bootstrap.js';
import type { Context } from '../../src/server/context.js';
import { createStores } from '../../src/storage/sql/create-stores.js';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { migrate, schemaKnex } from '../../src/storage/migrations/migrator.js';
import { openDatabase } from '../../src/storage/sql/open-database.js';
import type { Database } from '../../src/storage/sql/statements.js';
import { MasterKey } from '../../src/tokens/master-key.js';
import { registerClient, registerUser } from './browser-flow.js';

export interface TestClock {
  (): number;
  advance(seconds: number): void;
  set(seconds: number): void;
}

/**
 * Wall-clock time plus an offset that tests move, so real RP libraries and the server agree; or, with
 * `frozen`, a clock that moves only when told (for exact boundary tests).
 */
export function testClock(options: { frozen?: boolean } = {}): TestClock {
  let offset = 0;
  const frozenAt = Math.floor(Date.now() / 1000);
  const clock = (() => (options.frozen ? frozenAt : Math.floor(Date.now() / 1000)) + offset) as TestClock;
  clock.advance = (seconds) => {
    offset += seconds;
  };
  clock.set = (seconds) => {
    offset = seconds - (options.frozen ? frozenAt : Math.floor(Date.now() / 1000));
  };
  return clock;
}

export interface TestContext extends Context {
  clock: TestClock;
  /** The statement layer under the stores, for tests that inject faults or inspect rows. */
  database: Database;
  /** knex on the same database, for tests that inspect or change rows directly (never the server's path). */
  knex: Knex;
  close(): Promise<void>;
}

export const backendName = process.env.TEST_DATABASE_URL?.startsWith('postgres') ? 'postgres' : 'sqlite';

/**
 * `wallClock`: follow real time (for servers driven by RP libraries, which use the wall clock);
 * by default the clock is frozen so assertions on iat/exp never straddle a second boundary.
 */
export async function createTestContext(overrides: Partial<Config> = {}, options: { wallClock?: boolean; databaseUrl?: string; openVia?: (url: string) => string } = {}): Promise<TestContext> {
  const url = options.databaseUrl ?? process.env.TEST_DATABASE_URL ?? 'sqlite::memory:';
  const config = loadConfig({}, { databaseUrl: url, logLevel: 'silent', issuer: 'http://localhost:3000', ...overrides });
  let schema: string | undefined;
  if (url.startsWith('postgres')) {
    schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: url });
    await admin.raw(`create schema ${schema}`);
    await admin.destroy();
  }
  // openVia: the server reaches the database another way (through a proxy that tests stall).
  const db = openDatabase(options.openVia?.(url) ?? url, { searchPath: schema, timeoutMs: overrides.databaseTimeout });
  await migrate(db);
  const stores = createStores(db);
  const knex = schemaKnex(db);
  const clock = testClock({ frozen: !options.wallClock });
  const ctx = await bootstrap(config, { clock, stores, sealer: new MasterKey(randomBytes(32)) });
  return {
    ...ctx,
    clock,
    database: db,
    knex,
    async close() {
      await knex.destroy();
      await stores.close();
      if (schema) {
        const admin = knexFactory({ client: 'pg', connection: url });
        await admin.raw(`drop schema ${schema} cascade`);
        await admin.destroy();
      }
    },
  };
}

/** With its express app. */
export async function createTestContextWithApp(overrides: Partial<Config> = {}): Promise<{ ctx: TestContext; app: Express }> {
  const ctx = await createTestContext(overrides);
  return { ctx, app: createApp(ctx) };
}

/** With one public client, as `registerClient` registers it. */
export async function createTestContextWithClient(overrides: Partial<Config> = {}): Promise<{ ctx: TestContext; client: ClientRecord }> {
  const ctx = await createTestContext(overrides);
  return { ctx, client: await registerClient(ctx) };
}

/** With one user, as `registerUser` creates them. */
export async function createTestContextWithUser(overrides: Partial<Config> = {}): Promise<{ ctx: TestContext; user: UserRecord }> {
  const ctx = await createTestContext(overrides);
  return { ctx, user: (await registerUser(ctx)).user };
}
