/**
 * One worker process of a node with WORKERS above 1 (forked by cluster-primary.ts): a full server
 * for the connections its primary accepts and hands over (connection-dispatcher.ts), without the node-wide duties its primary has already done or keeps doing
 * (migrations, seed, master key settlement, scheduled jobs, the SQLite checkpoint thread).
 * - Rate limits and login throttles count in the primary (rate-limit-backend.ts `clusterBackend`),
 *   or in Redis when REDIS_URL is set, so N workers admit what one process would.
 * - Cached state another process changed is dropped or reloaded on the primary's notice
 *   (cluster-notices.ts): client rows, IP blocks, emergency mode, signing keys.
 * - It drains (gets no new connection, finishes its requests, exits 0) when the primary asks or on
 *   SIGTERM; SIGINT and SIGHUP are the primary's to act on (a Ctrl-C reaches every process of the
 *   terminal's group, and the primary drains the workers in order).
 */
import cluster from 'node:cluster';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Config } from '../config/config.js';
import { poolShare } from '../config/worker-settings.js';
import { reloadEmergencyState } from '../security/emergency-mode.js';
import { blocklistOf } from '../security/ip-blocklist.js';
import { CachedClientStore, withClientCache } from '../storage/client-cache.js';
import { bootstrap } from './bootstrap.js';
import { announce, onNotice, type Notice } from './cluster-notices.js';
import type { Context } from './context.js';
import { openServerStores, serve, type RunningServer } from './start.js';

/** Messages between the primary and a worker about the worker's own life. */
export const CONTROL_CHANNEL = 'castellan:control';
export type ControlMessage = { channel: typeof CONTROL_CHANNEL; event: 'ready'; port: number } | { channel: typeof CONTROL_CHANNEL; command: 'drain' };

export async function runWorker(config: Config): Promise<void> {
  const id = cluster.worker?.id ?? 0;
  // Until the server is up, a SIGINT or SIGHUP meant for the primary must not end this process.
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  const opened = await openServerStores(config, { checkpointElsewhere: true, maxConnections: poolShare(config.workers).worker, migrate: false });
  const stores = withClientCache(opened, config.clientCacheTtl);
  let ctx: Context;
  try {
    ctx = await bootstrap(config, { stores, logBindings: { worker: id }, limitStore: 'cluster' });
    // The counters' handshake with the primary happens now, not in the first request.
    await ctx.limits.connect();
  } catch (error) {
    await stores.close();
    throw error;
  }
  const clients = stores.clients instanceof CachedClientStore ? stores.clients : undefined;
  if (clients) clients.onChanged = (clientId) => announce({ type: 'client-changed', clientId });
  const stopNotices = onNotice((notice) => void apply(ctx, clients, notice));
  ctx.shutdown.push(async () => stopNotices());

  const running = await serve(ctx, { handleSignals: false, connections: 'handed-over' });
  let draining: Promise<void> | undefined;
  const drain = (why: string) => {
    draining ??= (async () => {
      ctx.logger.info({ why }, 'worker draining');
      try {
        await finishConnections(running);
        await running.close();
      } catch (error) {
        ctx.logger.error({ err: error }, 'worker shutdown failed');
        process.exitCode = 1;
      }
      process.exit();
    })();
  };
  process.on('SIGTERM', () => drain('SIGTERM'));
  process.on('message', (message: unknown) => {
    const control = message as Partial<{ channel: string; command: string }> | null;
    if (control?.channel === CONTROL_CHANNEL && control.command === 'drain') drain('asked by the primary');
  });
  // A primary that is gone cannot relay notices or count limits: this worker must not serve on.
  process.once('disconnect', () => drain('the primary is gone'));
  process.send?.({ channel: CONTROL_CHANNEL, event: 'ready', port: running.port } satisfies ControlMessage);
}

/** How long a draining worker lets its keep-alive clients send a last request before closing idle connections. */
const DRAIN_NOTICE_MS = 1_000;
/** Connections still busy after this long are cut, as a single node's shutdown does. */
const DRAIN_GRACE_MS = 10_000;

/**
 * Ends this worker's connections without failing a request of a keep-alive client. The primary
 * hands it no new connection once it drains; http's own close() would end idle keep-alive
 * connections at once, and a client that had just sent its next request on one would see it
 * reset. So: answer every further request with `Connection: close` so each client moves on after
 * its answer, close the connections still idle after DRAIN_NOTICE_MS, cut the rest after
 * DRAIN_GRACE_MS. Resolves when no connection is left.
 */
async function finishConnections(running: RunningServer): Promise<void> {
  // https.Server is an http.Server as far as these calls go.
  const server = running.server as HttpServer;
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  });
  const idle = setTimeout(() => server.closeIdleConnections(), DRAIN_NOTICE_MS);
  // Also the http-to-https redirector's connections, which the receiver holds as well.
  const force = setTimeout(() => running.receiver?.destroyAll(), DRAIN_GRACE_MS);
  await running.receiver?.whenIdle();
  clearTimeout(idle);
  clearTimeout(force);
}

async function apply(ctx: Context, clients: CachedClientStore | undefined, notice: Notice): Promise<void> {
  try {
    if (notice.type === 'client-changed') clients?.forget(notice.clientId);
    else if (notice.type === 'ip-blocks-changed') await blocklistOf(ctx).reload(ctx);
    else if (notice.type === 'emergency-changed') await reloadEmergencyState(ctx);
    else if (notice.type === 'keys-changed') await ctx.keystore.reload();
  } catch (error) {
    // The periodic reloads still catch up within their bound.
    ctx.logger.warn({ notice: notice.type, err: error }, 'notice not applied');
  }
}
