/**
 * A node-local read cache in front of the client store. Every token, introspection and revocation
 * request starts by reading its client; that row changes rarely, so the token endpoint's hot path
 * should not pay a database round trip for it.
 *
 * Why it is safe: writes through this node drop the entry at once; a change made by another node or
 * by the CLI is seen here within `ttlSeconds` (default 5 s, CLIENT_CACHE_TTL, 0 turns the cache
 * off). Unknown client ids are never cached, so a client registered on one node is usable on every
 * node at once and a flood of made-up ids cannot fill memory. Reads inside a transaction always go
 * to the database, so a write path never decides on a stale row.
 * The worker processes of one node (WORKERS above 1) see each other's changes at once: a change is
 * reported through `onChanged` once it is committed (the primary relays it, server/cluster-notices.ts)
 * and every other worker drops its entry with `forget`. Reporting after the commit matters: a
 * worker told earlier could read and cache the old row again before the new one is visible.
 */
import { setBounded } from './bounded-map.js';
import type { ClientRecord, ClientStore, Stores, Tx } from './stores.js';

interface Entry {
  record: ClientRecord;
  expiresAt: number;
}

export class CachedClientStore implements ClientStore {
  private readonly entries = new Map<string, Entry>();
  /** Clients written inside a transaction still open, reported when it ends. */
  private readonly pending = new Map<Tx, Set<string>>();
  /** Told of each committed change (by withClientCache's caller); none for a lone process. */
  onChanged?: (clientId: string) => void;

  constructor(
    private readonly inner: ClientStore,
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Drops one entry: another process of this node changed that client. */
  forget(clientId: string): void {
    this.entries.delete(clientId);
  }

  /** The transaction `tx` has ended (committed or not): its writes are final, so they are reported. */
  settled(tx: Tx): void {
    const ids = this.pending.get(tx);
    this.pending.delete(tx);
    for (const clientId of ids ?? []) this.changed(clientId);
  }

  async find(clientId: string, tx?: Tx): Promise<ClientRecord | undefined> {
    if (tx) return this.inner.find(clientId, tx);
    const cached = this.entries.get(clientId);
    if (cached && cached.expiresAt > this.now()) return cached.record;
    const record = await this.inner.find(clientId);
    if (record) this.remember(clientId, record);
    else this.entries.delete(clientId);
    return record;
  }

  list(tx?: Tx): Promise<ClientRecord[]> {
    return this.inner.list(tx);
  }

  async insert(client: ClientRecord, tx?: Tx): Promise<void> {
    this.entries.delete(client.clientId);
    await this.inner.insert(client, tx);
  }

  async update(client: ClientRecord, tx?: Tx): Promise<void> {
    // Dropped before and after: a read racing the write must not re-cache the old row.
    this.entries.delete(client.clientId);
    try {
      await this.inner.update(client, tx);
    } finally {
      this.written(client.clientId, tx);
    }
  }

  async remove(clientId: string, tx?: Tx): Promise<boolean> {
    this.entries.delete(clientId);
    try {
      return await this.inner.remove(clientId, tx);
    } finally {
      this.written(clientId, tx);
    }
  }

  private written(clientId: string, tx?: Tx): void {
    this.entries.delete(clientId);
    if (!tx) return this.changed(clientId);
    const ids = this.pending.get(tx) ?? new Set<string>();
    ids.add(clientId);
    this.pending.set(tx, ids);
  }

  private changed(clientId: string): void {
    // Dropped again after the commit: a read between the write and the commit saw the old row.
    this.entries.delete(clientId);
    this.onChanged?.(clientId);
  }

  private remember(clientId: string, record: ClientRecord): void {
    setBounded(this.entries, clientId, { record, expiresAt: this.now() + this.ttlMs }, this.maxEntries);
  }
}

/**
 * The same stores with the client store cached for `ttlSeconds` (unchanged when 0). Transactions
 * are wrapped so that the clients written in one are reported when it ends.
 */
export function withClientCache(stores: Stores, ttlSeconds: number): Stores {
  if (ttlSeconds <= 0) return stores;
  const clients = new CachedClientStore(stores.clients, ttlSeconds * 1000);
  return {
    ...stores,
    clients,
    transaction: async (work) => {
      let opened: Tx | undefined;
      try {
        return await stores.transaction((tx) => {
          opened = tx;
          return work(tx);
        });
      } finally {
        if (opened) clients.settled(opened);
      }
    },
  };
}
