/**
 * `castellan start`: run the server with the configuration from the environment (and CONFIG_FILE).
 * Migrations run first; SEED_FILE, when set, is applied before the port opens. With `--workers`
 * (or WORKERS) above 1, a primary process does that once and forks the workers that serve the port
 * (server/cluster-primary.ts); each worker runs this same command and takes the worker's path.
 */
import cluster from 'node:cluster';
import type { Command } from 'commander';
import { startPrimary } from '../server/cluster-primary.js';
import { runWorker } from '../server/cluster-worker.js';
import { startServer } from '../server/start.js';
import { cliConfig, type CliIo } from './output.js';

export function registerStartCommand(program: Command, io: CliIo): void {
  program
    .command('start')
    .description('migrate the database, apply SEED_FILE if set, and serve on PORT')
    .option('--workers <count>', 'worker processes serving PORT: a number, or auto for one per core (default: WORKERS, else 1). SIGHUP to the primary replaces them one at a time')
    .action(async (options: { workers?: string }) => {
      const config = cliConfig(options.workers === undefined ? io : { ...io, env: { ...io.env, WORKERS: options.workers } });
      // Each call resolves once listening; the open server keeps the process alive until SIGTERM or SIGINT.
      if (cluster.isWorker) await runWorker(config).catch((error: unknown) => {
        // The IPC channel would keep a worker that failed to start alive: it ends once the error is reported.
        process.exitCode = 1;
        setImmediate(() => process.exit());
        throw error;
      });
      else if (config.workers > 1) await startPrimary(config);
      else await startServer(config);
    });
}
