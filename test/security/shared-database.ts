/**
 * Two Castellan nodes on one database (a SQLite file, or one PostgreSQL schema when
 * TEST_DATABASE_URL is set): each with its own pool, caches and rate limits, sharing the master key
 * and one controllable clock, for "takes effect on running nodes" tests.
 */
import { mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { loadConfig, type Config } from '../../src/config/config.js';
import { bootstrap } from '../../src/server/bootstrap.js';
import { releaseContext, type Context } from '../../src/server/context.js';
import { migrate, schemaKnex } from '../../src/storage/migrations/migrator.js';
import { createStores } from '../../src/storage/sql/create-stores.js';
import { openDatabase } from '../../src/storage/sql/open-database.js';
import type { Database } from '../../src/storage/sql/statements.js';
import { MasterKey } from '../../src/tokens/master-key.js';
import { testClock, type TestClock } from '../support/test-context.js';

export type Node = Context & { clock: TestClock };

export interface SharedDatabase {
  nodes: Node[];
  /** knex on the shared database, for tests that inspect or change rows directly (never a node's path). */
  knex: Knex;
  close(): Promise<void>;
}

export async function sharedDatabase(count: number, overrides: Partial<Config> = {}, options: { sealer?: MasterKey } = {}): Promise<SharedDatabase> {
  const pg = process.env.TEST_DATABASE_URL?.startsWith('postgres') ? process.env.TEST_DATABASE_URL : undefined;
  const url = pg ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'castellan-nodes-')), 'shared.sqlite')}`;
  const schema = pg ? `t_${randomBytes(6).toString('hex')}` : undefined;
  if (pg) {
    const admin = knexFactory({ client: 'pg', connection: pg });
    await admin.raw(`create schema ${schema}`);
    await admin.destroy();
  }
  const config = loadConfig({}, { databaseUrl: url, logLevel: 'silent', issuer: 'http://localhost:3000', ...overrides });
  const sealer = options.sealer ?? new MasterKey(randomBytes(32));
  const clock = testClock();
  const nodes: Node[] = [];
  let first: Database | undefined;
  for (let i = 0; i < count; i += 1) {
    const db = openDatabase(url, { searchPath: schema });
    if (i === 0) {
      await migrate(db);
      first = db;
    }
    nodes.push({ ...(await bootstrap(config, { clock, sealer, stores: createStores(db) })), clock });
  }
  const knex = schemaKnex(first!);
  return {
    nodes,
    knex,
    async close() {
      await knex.destroy();
      for (const node of nodes) {
        await releaseContext(node);
        await node.stores.close();
      }
      if (pg) {
        const admin = knexFactory({ client: 'pg', connection: pg });
        await admin.raw(`drop schema ${schema} cascade`);
        await admin.destroy();
      }
    },
  };
}
