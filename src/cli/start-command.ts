/**
 * `castellan start`: run the server with the configuration from the environment (and CONFIG_FILE).
 * Migrations run first; SEED_FILE, when set, is applied before the port opens.
 */
import type { Command } from 'commander';
import { startServer } from '../server/start.js';
import { cliConfig, type CliIo } from './output.js';

export function registerStartCommand(program: Command, io: CliIo): void {
  program
    .command('start')
    .description('migrate the database, apply SEED_FILE if set, and serve on PORT')
    .action(async () => {
      // Resolves once listening; the open server keeps the process alive until SIGTERM or SIGINT.
      await startServer(cliConfig(io));
    });
}
