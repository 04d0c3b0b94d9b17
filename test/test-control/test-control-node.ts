/**
 * A node with the test control API switched on, over the database of a fresh test context, and a
 * second node on the same database (another process of a deployment) to show what they share.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import type { Config } from '../../src/config/config.js';
import { createApp } from '../../src/server/app.js';
import { bootstrap } from '../../src/server/bootstrap.js';
import { releaseContext, type Context } from '../../src/server/context.js';
import type { RateLimits } from '../../src/security/rate-limits.js';
import { createStores } from '../../src/storage/sql/create-stores.js';
import { openDatabase } from '../../src/storage/sql/open-database.js';
import { PostgresDatabase } from '../../src/storage/sql/postgres-database.js';
import { SqliteDatabase } from '../../src/storage/sql/sqlite-database.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

export const ADMIN_TOKEN = 'test-control-admin-token-0123456789abcdefghij';
export const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };

export interface TestControlNode {
  /** The test context (its `clock` is the unshifted wall clock). */
  base: TestContext;
  /** The node as the server builds it: its clock is shifted by the shared offset. */
  ctx: Context;
  app: Express;
  /** Another node on the same database. */
  otherNode(): Promise<Context>;
  close(): Promise<void>;
}

/** `limits`: the node's rate limits instead of the test context's in-memory ones (Redis, a key prefix of its own). */
export async function testControlNode(overrides: Partial<Config> = {}, options: { fileDatabase?: boolean; limits?: RateLimits } = {}): Promise<TestControlNode> {
  // Two SQLite nodes share a file; an in-memory database belongs to one connection.
  const databaseUrl = options.fileDatabase && !process.env.TEST_DATABASE_URL ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'castellan-tc-')), 'castellan.sqlite')}` : undefined;
  const base = await createTestContext({ testControlEnabled: true, adminToken: ADMIN_TOKEN, ...overrides }, { wallClock: true, databaseUrl });
  const ctx = await bootstrap(base.config, { stores: base.stores, sealer: base.sealer, clock: base.clock, limits: options.limits ?? base.limits });
  const others: Context[] = [];
  return {
    base,
    ctx,
    app: createApp(ctx),
    async otherNode() {
      const db = base.database instanceof PostgresDatabase
        ? openDatabase(base.database.settings.connectionString, { searchPath: base.database.settings.searchPath })
        : openDatabase(`sqlite:${(base.database as SqliteDatabase).filename}`);
      const other = await bootstrap(base.config, { stores: createStores(db), sealer: base.sealer });
      others.push(other);
      return other;
    },
    async close() {
      for (const other of others) {
        await releaseContext(other);
        await other.stores.close();
      }
      await releaseContext(ctx);
      await releaseContext(base);
      await base.close();
    },
  };
}
