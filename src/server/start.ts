/**
 * Start-up of a Castellan node: bootstrap (migrations, master key, signing keys), the optional seed
 * file, the HTTP listener, the scheduled key rotation check, and a graceful shutdown.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Config } from '../config/config.js';
import { createListeners, type Listeners } from '../security/tls.js';
import { applySeedFile } from '../seed/seed-file.js';
import { openStores } from '../storage/sql/create-stores.js';
import type { Stores } from '../storage/stores.js';
import { withClientCache } from '../storage/client-cache.js';
import { startLogoutDeliveryWorker } from '../oidc-back-channel-logout/delivery-worker.js';
import { startRetention } from '../security/audit-retention.js';
import { startThreatDetection } from '../security/threat-detection.js';
import { forgetPreviousMasterKey, settleMasterKeyFile } from '../tokens/master-key-rotation.js';
import { createApp } from './app.js';
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
  close(): Promise<void>;
}

export interface StartOptions extends BootstrapOptions {
  /** Install SIGTERM/SIGINT handlers that close the server (default true; tests turn it off). */
  handleSignals?: boolean;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
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
  let timer: NodeJS.Timeout | undefined;
  let listeners: Listeners | undefined;
  let bound: { port: number; redirectPort?: number };
  try {
    if (config.seedFile) {
      const report = await applySeedFile(ctx, config.seedFile);
      ctx.logger.info({ seedFile: config.seedFile, created: { clients: report.clients.created, users: report.users.created }, existing: { clients: report.clients.existing, users: report.users.existing } }, 'seed file applied');
    }
    const checkRotation = async () => {
      try {
        if (await ctx.keystore.rotateIfDue(config.keyRotationInterval)) ctx.logger.info('signing keys rotated');
      } catch (error) {
        ctx.logger.error({ err: error }, 'scheduled key rotation failed');
      }
    };
    await checkRotation();
    // Every node checks; the database decides, and a second rotation within the interval is not due.
    timer = setInterval(checkRotation, ROTATION_CHECK_INTERVAL_MS);
    timer.unref();
    // Back-channel logout deliveries left pending (by this node's last run too) and their retries.
    ctx.shutdown.unshift(startLogoutDeliveryWorker(ctx));
    // Threat detection over the audit log, and the retention pass (AUDIT_RETENTION among others).
    if (config.threatDetectionInterval > 0) ctx.shutdown.unshift(startThreatDetection(ctx));
    ctx.shutdown.unshift(startRetention(ctx));

    listeners = createListeners(config, createApp(ctx));
    bound = await listeners.listen();
  } catch (error) {
    if (timer) clearInterval(timer);
    await listeners?.close(0);
    await releaseContext(ctx);
    await ctx.stores.close();
    throw error;
  }
  const { port, redirectPort } = bound;
  // The node runs with the current master key: the one kept from before a rotation is no longer needed.
  if (forgetPreviousMasterKey(config)) ctx.logger.info('previous master key file removed after a successful start');
  const scheme = listeners.secure ? 'https' : 'http';
  ctx.logger.info({ issuer: config.issuer, port, redirectPort, scheme }, `Castellan listening (${scheme}) on port ${port}, issuer ${config.issuer}`);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(timer);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await listeners.close(SHUTDOWN_GRACE_MS);
      await releaseContext(ctx);
      await ctx.stores.close();
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
  return { server: listeners.server, ctx, port, redirectPort, close };
}

/**
 * Opens and migrates the database, waiting up to DATABASE_STARTUP_WAIT for it to become reachable;
 * the server checkpoints SQLite's WAL on a worker thread, off the event loop (sqlite-checkpointer.ts).
 */
function openServerStores(config: Config): Promise<Stores> {
  return openStores(config.databaseUrl, {
    checkpointOffThread: true,
    timeoutMs: config.databaseTimeout,
    waitMs: config.databaseStartupWait,
    onRetry: (cause) => process.stderr.write(`castellan: waiting for the database (${cause})\n`),
  });
}
