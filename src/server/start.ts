/**
 * Start-up of a Castellan node: bootstrap (migrations, master key, signing keys), the optional seed
 * file, the scheduled jobs (key rotation check among them), the HTTP listener, and a graceful
 * shutdown. With WORKERS above 1 the same pieces are split between a primary and its workers
 * (cluster-primary.ts, cluster-worker.ts).
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Config } from '../config/config.js';
import { createListeners, type Listeners } from '../security/tls.js';
import { applySeedFile } from '../seed/seed-file.js';
import { openStores } from '../storage/sql/create-stores.js';
import type { OpenOptions } from '../storage/sql/open-database.js';
import type { Stores } from '../storage/stores.js';
import { withClientCache } from '../storage/client-cache.js';
import { startLogoutDeliveryWorker } from '../oidc-back-channel-logout/delivery-worker.js';
import { startRetention } from '../security/audit-retention.js';
import { startThreatDetection } from '../security/threat-detection.js';
import { forgetPreviousMasterKey, settleMasterKeyFile } from '../tokens/master-key-rotation.js';
import { createApp } from './app.js';
import { receiveConnections, type ConnectionReceiver } from './connection-receiver.js';
import { bootstrap, type BootstrapOptions } from './bootstrap.js';
import { releaseContext, type Context } from './context.js';

/** How often each node checks whether its active keys are due for rotation. */
export const ROTATION_CHECK_INTERVAL_MS = 60 * 60 * 1000;
/** Connections still busy after this long are cut so a stop never hangs. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  /** The application's listener: https when TLS_CERT_FILE and TLS_KEY_FILE are set, else http. */
  server: HttpServer | HttpsServer;
  ctx: Context;
  /** The port actually bound (useful with PORT=0). */
  port: number;
  /** The bound HTTP_REDIRECT_PORT, when that listener runs. */
  redirectPort?: number;
  /** With `connections: 'handed-over'`: the connections this worker serves. */
  receiver?: ConnectionReceiver;
  close(): Promise<void>;
}

export interface StartOptions extends BootstrapOptions {
  /** Install SIGTERM/SIGINT handlers that close the server (default true; tests turn it off). */
  handleSignals?: boolean;
  /**
   * 'bind' (default): the node binds its ports. 'handed-over': a worker of a node with WORKERS
   * above 1, serving the connections its primary accepts (connection-dispatcher.ts).
   */
  connections?: 'bind' | 'handed-over';
}

/** One process serving alone: everything below, in this order. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const ctx = await prepareNode(config, options);
  try {
    await startJobs(ctx);
  } catch (error) {
    await releaseNode(ctx);
    throw error;
  }
  const running = await serve(ctx, options);
  // The node runs with the current master key: the one kept from before a rotation is no longer needed.
  if (forgetPreviousMasterKey(config)) ctx.logger.info('previous master key file removed after a successful start');
  return running;
}

/**
 * What a node does before anyone may depend on it: the database opened and migrated, an
 * interrupted master key rotation settled, signing keys present, SEED_FILE applied. A node with
 * workers runs this once in the primary, before the first fork, so workers never race migrations
 * or the seed (cluster-primary.ts).
 */
export async function prepareNode(config: Config, options: BootstrapOptions = {}): Promise<Context> {
  const stores = options.stores ?? withClientCache(await openServerStores(config), config.clientCacheTtl);
  let ctx: Context;
  try {
    // A master key rotation interrupted after its commit is completed before the key file is read.
    const settled = await settleMasterKeyFile(stores, config);
    ctx = await bootstrap(config, { ...options, stores });
    if (settled !== 'none') ctx.logger.warn({ masterKeyFile: config.masterKeyFile, staged: settled }, 'an interrupted master key rotation was found and settled');
  } catch (error) {
    await stores.close();
    throw error;
  }
  try {
    if (config.seedFile) {
      const report = await applySeedFile(ctx, config.seedFile);
      ctx.logger.info({ seedFile: config.seedFile, created: { clients: report.clients.created, users: report.users.created }, existing: { clients: report.clients.existing, users: report.users.existing } }, 'seed file applied');
    }
  } catch (error) {
    await releaseNode(ctx);
    throw error;
  }
  return ctx;
}

/** Runs the context's shutdown hooks, then closes its stores. */
export async function releaseNode(ctx: Context): Promise<void> {
  await releaseContext(ctx);
  await ctx.stores.close();
}

/** The jobs `startJobs` runs, as its log line names them. */
export const SCHEDULED_JOBS = ['key-rotation', 'logout-delivery', 'threat-detection', 'retention'] as const;

/**
 * The scheduled jobs of a node: the key rotation check, back-channel logout retries, threat
 * detection and retention. With workers, only the primary runs them (cluster-primary.ts), so each
 * runs in exactly one process of the node; `onKeysRotated` lets it tell the workers. Their stop
 * hooks join the context's shutdown.
 */
export async function startJobs(ctx: Context, onKeysRotated: () => void = () => undefined): Promise<void> {
  const { config } = ctx;
  const checkRotation = async () => {
    try {
      if (await ctx.keystore.rotateIfDue(config.keyRotationInterval)) {
        ctx.logger.info('signing keys rotated');
        onKeysRotated();
      }
    } catch (error) {
      ctx.logger.error({ err: error }, 'scheduled key rotation failed');
    }
  };
  await checkRotation();
  // Every node checks; the database decides, and a second rotation within the interval is not due.
  const timer = setInterval(checkRotation, ROTATION_CHECK_INTERVAL_MS);
  timer.unref();
  ctx.shutdown.unshift(async () => clearInterval(timer));
  // Back-channel logout deliveries left pending (by this node's last run too) and their retries.
  ctx.shutdown.unshift(startLogoutDeliveryWorker(ctx));
  // Threat detection over the audit log, and the retention pass (AUDIT_RETENTION among others).
  if (config.threatDetectionInterval > 0) ctx.shutdown.unshift(startThreatDetection(ctx));
  ctx.shutdown.unshift(startRetention(ctx));
  ctx.logger.info({ jobs: SCHEDULED_JOBS.filter((job) => job !== 'threat-detection' || config.threatDetectionInterval > 0) }, 'scheduled jobs started');
}

/**
 * Opens the listeners on the prepared context and returns the running server, whose close()
 * stops accepting, lets requests in flight finish (SHUTDOWN_GRACE_MS at most) and releases the node.
 */
export async function serve(ctx: Context, options: StartOptions = {}): Promise<RunningServer> {
  const { config } = ctx;
  let listeners: Listeners | undefined;
  let bound: { port: number; redirectPort?: number };
  let receiver: ConnectionReceiver | undefined;
  try {
    listeners = createListeners(config, createApp(ctx));
    if (options.connections === 'handed-over') {
      receiver = receiveConnections({ app: listeners.server, redirect: listeners.redirect });
      bound = { port: config.port, redirectPort: listeners.redirect ? config.httpRedirectPort : undefined };
    } else {
      bound = await listeners.listen();
    }
  } catch (error) {
    await listeners?.close(0);
    await releaseNode(ctx);
    throw error;
  }
  const { port, redirectPort } = bound;
  const scheme = listeners.secure ? 'https' : 'http';
  ctx.logger.info({ issuer: config.issuer, port, redirectPort, scheme }, `Castellan listening (${scheme}) on port ${port}, issuer ${config.issuer}`);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await listeners.close(SHUTDOWN_GRACE_MS);
      await releaseNode(ctx);
      ctx.logger.info('Castellan stopped');
    })();
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    ctx.logger.info({ signal }, 'shutting down');
    close().catch((error) => {
      ctx.logger.error({ err: error }, 'shutdown failed');
      process.exitCode = 1;
    });
  };
  if (options.handleSignals ?? true) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { server: listeners.server, ctx, port, redirectPort, receiver, close };
}

/**
 * Opens and migrates the database, waiting up to DATABASE_STARTUP_WAIT for it to become reachable;
 * the server checkpoints SQLite's WAL on a worker thread, off the event loop (sqlite-checkpointer.ts).
 */
export function openServerStores(config: Config, options: Pick<OpenOptions, 'checkpointElsewhere' | 'maxConnections' | 'migrate'> = {}): Promise<Stores> {
  return openStores(config.databaseUrl, {
    checkpointOffThread: !options.checkpointElsewhere,
    ...options,
    timeoutMs: config.databaseTimeout,
    waitMs: config.databaseStartupWait,
    onRetry: (cause) => process.stderr.write(`castellan: waiting for the database (${cause})\n`),
  });
}
