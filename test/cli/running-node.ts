/**
 * A Castellan node serving the same SQLite file a CLI rig writes to, with a clock the test moves: the
 * "running node" that operator commands must reach.
 */
import type { Express } from 'express';
import { loadConfig } from '../../src/config/config.js';
import { createApp } from '../../src/server/app.js';
import { bootstrap } from '../../src/server/bootstrap.js';
import { releaseContext, type Context } from '../../src/server/context.js';
import { migrate } from '../../src/storage/migrations/migrator.js';
import { createStores } from '../../src/storage/sql/create-stores.js';
import { openDatabase } from '../../src/storage/sql/open-database.js';
import { testClock, type TestClock } from '../support/test-context.js';
import type { CliRig } from './cli-harness.js';

export interface RunningNode {
  ctx: Context & { clock: TestClock };
  app: Express;
  close(): Promise<void>;
}

export async function runningNode(rig: CliRig, env: NodeJS.ProcessEnv = {}): Promise<RunningNode> {
  const config = loadConfig({ ...rig.env, ...env }, { logLevel: 'silent' });
  const db = openDatabase(config.databaseUrl);
  await migrate(db);
  const clock = testClock();
  const ctx = { ...(await bootstrap(config, { clock, stores: createStores(db) })), clock };
  return {
    ctx,
    app: createApp(ctx),
    async close() {
      await releaseContext(ctx);
      await db.close();
    },
  };
}
