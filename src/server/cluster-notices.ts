/**
 * Notices between the processes of one node running several workers (WORKERS above 1): state that
 * each worker caches and another worker or the primary has just changed in the database. A worker
 * sends its notice to the primary, which relays it to every other worker; the primary's own jobs
 * (key rotation) send theirs to all workers. Without notices a worker would still catch up within
 * the cache's bound (CLIENT_CACHE_TTL, STATE_REFRESH_SECONDS, the keystore's reload interval); with
 * them it does at once. In a process that is not part of a cluster, `announce` does nothing.
 */
import cluster, { type Worker } from 'node:cluster';

export type Notice =
  /** A client row was updated or deleted (registration management, an operator). */
  | { type: 'client-changed'; clientId: string }
  /** IP blocks were added or lifted. */
  | { type: 'ip-blocks-changed' }
  /** Emergency mode was switched on or off. */
  | { type: 'emergency-changed' }
  /** Signing keys were rotated. */
  | { type: 'keys-changed' };

const CHANNEL = 'castellan:notice';

interface Envelope {
  channel: typeof CHANNEL;
  notice: Notice;
}

const isEnvelope = (message: unknown): message is Envelope => (message as Envelope | null)?.channel === CHANNEL && typeof (message as Envelope).notice?.type === 'string';

/** Tells the other processes of this node; a worker tells the primary, which relays. */
export function announce(notice: Notice): void {
  const envelope: Envelope = { channel: CHANNEL, notice };
  if (cluster.isWorker) {
    // A worker whose primary is gone is about to exit: nothing to tell.
    if (process.connected) process.send?.(envelope);
    return;
  }
  sendToWorkers(envelope);
}

function sendToWorkers(envelope: Envelope, except?: Worker): void {
  for (const worker of Object.values(cluster.workers ?? {})) {
    if (worker && worker !== except && worker.isConnected()) worker.send(envelope);
  }
}

/** In the primary: relays each worker's notices to the other workers. Returns the stop function. */
export function relayNotices(): () => void {
  const relay = (from: Worker, message: unknown) => {
    if (isEnvelope(message)) sendToWorkers(message, from);
  };
  cluster.on('message', relay);
  return () => cluster.off('message', relay);
}

/** In a worker: runs `handle` for each notice the primary relays. Returns the stop function. */
export function onNotice(handle: (notice: Notice) => void): () => void {
  const listener = (message: unknown) => {
    if (isEnvelope(message)) handle(message.notice);
  };
  process.on('message', listener);
  return () => process.off('message', listener);
}
