/**
 * `castellan seed FILE`: create the clients and users of a seed file that do not exist yet, in one
 * transaction. Existing client_ids and usernames are left unchanged and reported.
 */
import type { Command } from 'commander';
import { applySeedFile } from '../seed/seed-file.js';
import { printJson, withContext, type CliIo } from './output.js';

const names = (list: string[]) => (list.length > 0 ? list.join(', ') : '-');

export function registerSeedCommand(program: Command, io: CliIo): void {
  program
    .command('seed')
    .description('apply a seed file (clients and users); idempotent')
    .argument('<file>', 'seed JSON file (see seed/example.json)')
    .option('--json', 'machine-readable output')
    .action(async (file: string, options: { json?: boolean }) => {
      const report = await withContext(io, (ctx) => applySeedFile(ctx, file));
      if (options.json) return printJson(io, report);
      io.stdout(`clients created: ${names(report.clients.created)}\n`);
      io.stdout(`clients already present (unchanged): ${names(report.clients.existing)}\n`);
      io.stdout(`users created: ${names(report.users.created)}\n`);
      io.stdout(`users already present (unchanged): ${names(report.users.existing)}\n`);
    });
}
