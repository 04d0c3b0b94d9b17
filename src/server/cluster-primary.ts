/**
 * `castellan start` with WORKERS above 1: the primary process of the node. It serves no request;
 * it binds the port and hands each new connection to a ready worker in turn
 * (connection-dispatcher.ts says why not node:cluster's own port sharing).
 * - Before the first fork, it does once what a node does before serving: migrations, master key
 *   settlement, signing keys, SEED_FILE (start.ts prepareNode). Workers never race these.
 * - It runs every job that must run once per node (start.ts startJobs: key rotation, logout
 *   delivery retries, threat detection, retention) and, on SQLite, the WAL checkpoint thread.
 *   The primary outlives every worker, so no job moves when a worker dies.
 * - It holds the rate-limit and login-throttle counters of all workers in memory
 *   (security/cluster-limit-store.ts) unless Redis holds them (REDIS_URL), and
 *   empties them when a worker's test control reset asks (security/counter-reset.ts).
 * - It relays the workers' cache notices (cluster-notices.ts).
 * - It replaces a worker that dies (worker-supervisor.ts); SIGTERM or SIGINT drains every worker
 *   and then stops; SIGHUP replaces the workers one at a time (a rolling restart, which also
 *   loads a new build from disk), never refusing a connection.
 * @spec https://nodejs.org/api/cluster.html#how-it-works
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/config.js';
import { poolShare } from '../config/worker-settings.js';
import { startClusterLimitStore } from '../security/rate-limit-backend.js';
import { forgetPreviousMasterKey } from '../tokens/master-key-rotation.js';
import { redirectListenerEnabled } from '../security/tls.js';
import { announce, relayNotices } from './cluster-notices.js';
import { ConnectionDispatcher } from './connection-dispatcher.js';
import { CONTROL_CHANNEL, type ControlMessage } from './cluster-worker.js';
import { openServerStores, prepareNode, releaseNode, startJobs } from './start.js';
import { WorkerSupervisor, type WorkerExit, type WorkerHandle } from './worker-supervisor.js';

export interface RunningPrimary {
  supervisor: WorkerSupervisor;
  /** Drains every worker, stops the jobs and closes the database. */
  stop(): Promise<void>;
}

/**
 * A worker forked by node:cluster, as the supervisor sees it: it takes connections from the
 * dispatcher once it is ready, and none once it drains or its channel closes.
 */
function forkWorker(dispatcher: ConnectionDispatcher): WorkerHandle {
  const worker: Worker = cluster.fork();
  const exited = new Promise<WorkerExit>((resolve) => worker.once('exit', (code, signal) => {
    dispatcher.forget(worker);
    resolve({ code, signal });
  }));
  worker.once('disconnect', () => dispatcher.remove(worker));
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: unknown) => {
      if (dispatcher.confirmed(worker, message)) return;
      const control = message as Partial<{ channel: string; event: string }> | null;
      if (control?.channel === CONTROL_CHANNEL && control.event === 'ready') {
        dispatcher.add(worker);
        resolve();
      }
    });
    void exited.then((exit) => reject(new Error(`worker ${worker.id} exited (${exit.signal ?? `code ${exit.code}`}) before listening`)));
  });
  return {
    id: worker.id,
    pid: worker.process.pid,
    ready,
    exited,
    drain: () => {
      dispatcher.remove(worker);
      if (worker.isConnected()) worker.send({ channel: CONTROL_CHANNEL, command: 'drain' } satisfies ControlMessage);
      else worker.process.kill('SIGTERM');
    },
    kill: () => worker.process.kill('SIGKILL'),
  };
}

export async function startPrimary(config: Config): Promise<RunningPrimary> {
  // Before any fork, so the first worker's limiter handshake finds it.
  startClusterLimitStore();
  const stores = await openServerStores(config, { maxConnections: poolShare(config.workers).primary });
  const ctx = await prepareNode(config, { stores, logBindings: { role: 'primary' } });
  const stopRelay = relayNotices();
  const dispatcher = new ConnectionDispatcher();
  const supervisor = new WorkerSupervisor(config.workers, () => forkWorker(dispatcher), ctx.logger);
  let port: number;
  try {
    // Bound before the first fork, so a port in use fails the start at once; connections wait for the first ready worker.
    port = await dispatcher.listen('app', config.port);
    if (redirectListenerEnabled(config)) await dispatcher.listen('redirect', config.httpRedirectPort as number);
    await startJobs(ctx, () => announce({ type: 'keys-changed' }));
    await supervisor.start();
  } catch (error) {
    dispatcher.close();
    stopRelay();
    await releaseNode(ctx);
    throw error;
  }
  if (forgetPreviousMasterKey(config)) ctx.logger.info('previous master key file removed after a successful start');
  ctx.logger.info({ issuer: config.issuer, port, workers: config.workers }, `Castellan listening on port ${port} with ${config.workers} workers, issuer ${config.issuer}`);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.off('SIGHUP', onHangup);
      // New connections are refused from here, as a single process's close() refuses them.
      dispatcher.close();
      await supervisor.stop();
      stopRelay();
      await releaseNode(ctx);
      ctx.logger.info('Castellan stopped');
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    ctx.logger.info({ signal }, 'shutting down: draining every worker');
    stop().then(() => process.exit(), (error: unknown) => {
      ctx.logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  const onHangup = () => {
    void supervisor.roll().catch((error: unknown) => ctx.logger.error({ err: error }, 'rolling restart failed'));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.on('SIGHUP', onHangup);
  return { supervisor, stop };
}
