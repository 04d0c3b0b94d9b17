/**
 * `castellan migrate`: apply pending database migrations and say which ran. `start` and every other
 * command migrate too; this one exists for deployments that migrate as a separate step.
 */
import type { Command } from 'commander';
import type { Knex } from 'knex';
import { migrate, openDatabase } from '../storage/knex/database.js';
import { cliConfig, type CliIo } from './output.js';

async function appliedMigrations(db: Knex): Promise<string[]> {
  if (!(await db.schema.hasTable('knex_migrations'))) return [];
  return (await db('knex_migrations').orderBy('id').select('name')).map((row: { name: string }) => row.name);
}

export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('apply pending database migrations (DATABASE_URL)')
    .action(async () => {
      const db = openDatabase(cliConfig(io).databaseUrl);
      try {
        const before = await appliedMigrations(db);
        await migrate(db);
        const ran = (await appliedMigrations(db)).filter((name) => !before.includes(name));
        if (ran.length === 0) io.stdout(`Database is up to date (${before.length} migration${before.length === 1 ? '' : 's'} applied).\n`);
        else io.stdout(`Applied ${ran.length} migration${ran.length === 1 ? '' : 's'}: ${ran.join(', ')}\n`);
      } finally {
        await db.destroy();
      }
    });
}
