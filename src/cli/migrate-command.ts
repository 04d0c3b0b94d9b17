/**
 * `castellan migrate`: apply pending database migrations and say which ran. `start` and every other
 * command migrate too; this one exists for deployments that migrate as a separate step.
 */
import type { Command } from 'commander';
import { migrate } from '../storage/migrations/migrator.js';
import { openDatabase } from '../storage/sql/open-database.js';
import { cliConfig, type CliIo } from './output.js';

export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('apply pending database migrations (DATABASE_URL)')
    .action(async () => {
      const config = cliConfig(io);
      const db = openDatabase(config.databaseUrl, { timeoutMs: config.databaseTimeout });
      try {
        const { applied, ran } = await migrate(db);
        if (ran.length === 0) io.stdout(`Database is up to date (${applied.length} migration${applied.length === 1 ? '' : 's'} applied).\n`);
        else io.stdout(`Applied ${ran.length} migration${ran.length === 1 ? '' : 's'}: ${ran.join(', ')}\n`);
      } finally {
        await db.close();
      }
    });
}
