/**
 * Runs `castellan` in-process against a fresh SQLite file in a temp directory, capturing stdout,
 * stderr and the exit code. CLI tests use SQLite files only; the stores they drive are covered on
 * PostgreSQL by test/storage.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/main.js';
import type { Knex } from 'knex';
import { schemaKnex } from '../../src/storage/migrations/migrator.js';
import { createStores } from '../../src/storage/sql/create-stores.js';
import { openDatabase } from '../../src/storage/sql/open-database.js';
import type { Stores } from '../../src/storage/stores.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRig {
  dir: string;
  env: NodeJS.ProcessEnv;
  cli(argv: string[], options?: { env?: NodeJS.ProcessEnv; stdin?: string; tty?: boolean }): Promise<CliResult>;
  /** Direct access to the same database, to check what the commands wrote. */
  withStores<T>(work: (stores: Stores) => Promise<T>): Promise<T>;
  /** knex on the same database, to inspect rows no store method reads. */
  withKnex<T>(work: (knex: Knex) => Promise<T>): Promise<T>;
}

export function cliRig(): CliRig {
  const dir = mkdtempSync(join(tmpdir(), 'castellan-cli-'));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'castellan.sqlite')}`, MASTER_KEY_FILE: join(dir, 'master.key') };
  return {
    dir,
    env,
    async cli(argv, options = {}) {
      let stdout = '';
      let stderr = '';
      const code = await run(argv, {
        stdout: (text) => void (stdout += text),
        stderr: (text) => void (stderr += text),
        env: { ...env, ...options.env },
        stdin: { isTTY: options.tty ?? options.stdin === undefined, read: async () => options.stdin ?? '' },
      });
      return { code, stdout, stderr };
    },
    async withStores(work) {
      const stores = createStores(openDatabase(env.DATABASE_URL));
      try {
        return await work(stores);
      } finally {
        await stores.close();
      }
    },
    async withKnex(work) {
      const database = openDatabase(env.DATABASE_URL);
      const knex = schemaKnex(database);
      try {
        return await work(knex);
      } finally {
        await knex.destroy();
        await database.close();
      }
    },
  };
}
