/**
 * The node-local client cache: it serves repeated reads from memory, never serves a row this node
 * changed, never caches an unknown id, reads through inside a transaction, and expires entries so
 * changes made elsewhere (another node, the CLI) are seen within the TTL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedClientStore, withClientCache } from '../../src/storage/client-cache.js';
import type { ClientRecord, ClientStore } from '../../src/storage/stores.js';
import { newHandle } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

function client(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: `cache-${newHandle(8)}`, secretHash: 'h'.repeat(43), secretEncrypted: null,
    metadata: {
      client_name: 'Cache test', redirect_uris: ['https://rp.example/cb'], grant_types: ['client_credentials'], response_types: [],
      token_endpoint_auth_method: 'client_secret_basic', application_type: 'web', require_pkce: true,
    },
    registrationTokenHash: null, createdAt: 1_700_000_000, updatedAt: 1_700_000_000, ...overrides,
  };
}

/** Counts the reads that reach the wrapped store. */
function counting(inner: ClientStore): ClientStore & { reads: number } {
  const wrapper = {
    reads: 0,
    find: (id: string, tx?: never) => {
      wrapper.reads += 1;
      return inner.find(id, tx);
    },
    list: inner.list.bind(inner),
    insert: inner.insert.bind(inner),
    update: inner.update.bind(inner),
    remove: inner.remove.bind(inner),
  };
  return wrapper;
}

describe(`CachedClientStore on ${backendName}`, () => {
  let ctx: TestContext;
  let now = 0;
  let raw: ClientStore & { reads: number };
  let cached: CachedClientStore;
  beforeAll(async () => {
    ctx = await createTestContext();
    raw = counting(ctx.stores.clients);
    cached = new CachedClientStore(raw, 5_000, 3, () => now);
  });
  afterAll(() => ctx.close());

  it('serves a repeated read from memory until the TTL ends, then reads again', async () => {
    const record = client();
    await ctx.stores.clients.insert(record);
    const before = raw.reads;
    expect(await cached.find(record.clientId)).toEqual(record);
    expect(await cached.find(record.clientId)).toEqual(record);
    expect(raw.reads - before).toBe(1);
    // Changed behind the cache's back (another node): seen once the entry expires.
    await ctx.stores.clients.update({ ...record, metadata: { ...record.metadata, client_name: 'Renamed' } });
    expect((await cached.find(record.clientId))?.metadata.client_name).toBe('Cache test');
    now += 5_001;
    expect((await cached.find(record.clientId))?.metadata.client_name).toBe('Renamed');
  });

  it('drops an entry at once when this node updates or removes the client', async () => {
    const record = client();
    await cached.insert(record);
    await cached.find(record.clientId);
    await cached.update({ ...record, metadata: { ...record.metadata, client_name: 'Updated here' } });
    expect((await cached.find(record.clientId))?.metadata.client_name).toBe('Updated here');
    expect(await cached.remove(record.clientId)).toBe(true);
    expect(await cached.find(record.clientId)).toBeUndefined();
  });

  it('never caches an unknown id: a client registered elsewhere is usable at once', async () => {
    const record = client();
    expect(await cached.find(record.clientId)).toBeUndefined();
    await ctx.stores.clients.insert(record);
    expect(await cached.find(record.clientId)).toEqual(record);
  });

  it('reads through inside a transaction', async () => {
    const record = client();
    await cached.insert(record);
    await cached.find(record.clientId);
    const before = raw.reads;
    await ctx.stores.transaction(async (tx) => {
      expect(await cached.find(record.clientId, tx)).toEqual(record);
    });
    expect(raw.reads - before).toBe(1);
  });

  it('holds at most its bound of entries, evicting the oldest', async () => {
    const records = [client(), client(), client(), client()];
    for (const record of records) await ctx.stores.clients.insert(record);
    for (const record of records) await cached.find(record.clientId);
    const before = raw.reads;
    await cached.find(records[3].clientId);
    expect(raw.reads - before).toBe(0);
    await cached.find(records[0].clientId);
    expect(raw.reads - before).toBe(1);
  });

  it('is left out when the TTL is 0', () => {
    expect(withClientCache(ctx.stores, 0).clients).toBe(ctx.stores.clients);
    expect(withClientCache(ctx.stores, 5).clients).toBeInstanceOf(CachedClientStore);
  });
});

describe(`client cache notices between workers on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('reports a change outside a transaction at once, and a change inside one only after it ends', async () => {
    const stores = withClientCache(ctx.stores, 5);
    const clients = stores.clients as CachedClientStore;
    const reported: string[] = [];
    clients.onChanged = (clientId) => reported.push(clientId);
    const record = client();
    await stores.clients.insert(record);
    await stores.clients.update({ ...record, metadata: { ...record.metadata, client_name: 'Direct' } });
    expect(reported).toEqual([record.clientId]);
    await stores.transaction(async (tx) => {
      await stores.clients.update({ ...record, metadata: { ...record.metadata, client_name: 'In a transaction' } }, tx);
      // Not yet: another worker told now could cache the row as it was before the commit.
      expect(reported).toEqual([record.clientId]);
    });
    expect(reported).toEqual([record.clientId, record.clientId]);
    await stores.clients.remove(record.clientId);
    expect(reported).toHaveLength(3);
  });

  it('forget drops the entry another worker changed, so the next read sees the database', async () => {
    const stores = withClientCache(ctx.stores, 60);
    const clients = stores.clients as CachedClientStore;
    const record = client();
    await ctx.stores.clients.insert(record);
    await clients.find(record.clientId);
    await ctx.stores.clients.update({ ...record, metadata: { ...record.metadata, client_name: 'Changed elsewhere' } });
    expect((await clients.find(record.clientId))?.metadata.client_name).toBe('Cache test');
    clients.forget(record.clientId);
    expect((await clients.find(record.clientId))?.metadata.client_name).toBe('Changed elsewhere');
  });
});
