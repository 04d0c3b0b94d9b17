/**
 * Store conformance: clients and users. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { newHandle, newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

function client(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: `c-${newHandle(8)}`, secretHash: 'h'.repeat(43), secretEncrypted: null,
    metadata: {
      client_name: 'Store test', redirect_uris: ['https://rp.example/cb'], grant_types: ['authorization_code'], response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic', application_type: 'web', require_pkce: true, contacts: ['ops@rp.example'],
    },
    registrationTokenHash: null, createdAt: 1_700_000_000, updatedAt: 1_700_000_000, ...overrides,
  };
}

function user(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: newId(), username: `u-${newHandle(6)}`, passwordHash: '$argon2id$v=19$stub', claims: { name: 'Ada', email_verified: true, address: { country: 'NL' } },
    createdAt: 1_700_000_000, updatedAt: 1_700_000_000, ...overrides,
  };
}

describe(`ClientStore conformance on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('finds an inserted client with its metadata intact, including extension members', async () => {
    const record = client();
    await ctx.stores.clients.insert(record);
    expect(await ctx.stores.clients.find(record.clientId)).toEqual(record);
  });

  it('returns undefined for an unknown client_id', async () => {
    expect(await ctx.stores.clients.find('no-such-client')).toBeUndefined();
  });

  it('lists clients ordered by client_id', async () => {
    const ids = ['list-b', 'list-a', 'list-c'];
    for (const clientId of ids) await ctx.stores.clients.insert(client({ clientId }));
    const listed = (await ctx.stores.clients.list()).map((c) => c.clientId).filter((id) => id.startsWith('list-'));
    expect(listed).toEqual([...ids].sort());
  });

  it('updates metadata and timestamps', async () => {
    const record = client();
    await ctx.stores.clients.insert(record);
    const changed = { ...record, metadata: { ...record.metadata, client_name: 'Renamed' }, updatedAt: record.updatedAt + 60 };
    await ctx.stores.clients.update(changed);
    expect(await ctx.stores.clients.find(record.clientId)).toEqual(changed);
  });

  it('rejects a second client with the same client_id', async () => {
    const record = client();
    await ctx.stores.clients.insert(record);
    await expect(ctx.stores.clients.insert(record)).rejects.toThrow();
  });

  it('removes once: true, then false', async () => {
    const record = client();
    await ctx.stores.clients.insert(record);
    expect(await ctx.stores.clients.remove(record.clientId)).toBe(true);
    expect(await ctx.stores.clients.remove(record.clientId)).toBe(false);
    expect(await ctx.stores.clients.find(record.clientId)).toBeUndefined();
  });

  it('writes nothing when the surrounding transaction fails', async () => {
    const record = client();
    await expect(ctx.stores.transaction(async (tx) => {
      await ctx.stores.clients.insert(record, tx);
      throw new Error('abort');
    })).rejects.toThrow('abort');
    expect(await ctx.stores.clients.find(record.clientId)).toBeUndefined();
  });
});

describe(`UserStore conformance on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('finds an inserted user by id and by username, claims intact', async () => {
    const record = user();
    await ctx.stores.users.insert(record);
    expect(await ctx.stores.users.findById(record.id)).toEqual(record);
    expect(await ctx.stores.users.findByUsername(record.username)).toEqual(record);
  });

  it('returns undefined for unknown ids and usernames', async () => {
    expect(await ctx.stores.users.findById('nobody')).toBeUndefined();
    expect(await ctx.stores.users.findByUsername('nobody')).toBeUndefined();
  });

  it('rejects a second user with the same username', async () => {
    const record = user();
    await ctx.stores.users.insert(record);
    await expect(ctx.stores.users.insert(user({ username: record.username }))).rejects.toThrow();
  });

  it('lists users ordered by username', async () => {
    for (const username of ['zed-list', 'amy-list']) await ctx.stores.users.insert(user({ username }));
    const names = (await ctx.stores.users.list()).map((u) => u.username).filter((n) => n.endsWith('-list'));
    expect(names).toEqual(['amy-list', 'zed-list']);
  });

  it('updates claims and the password hash', async () => {
    const record = user();
    await ctx.stores.users.insert(record);
    const changed = { ...record, passwordHash: '$argon2id$v=19$other', claims: { name: 'Ada L.' }, updatedAt: record.updatedAt + 5 };
    await ctx.stores.users.update(changed);
    expect(await ctx.stores.users.findById(record.id)).toEqual(changed);
  });

  it('removes once: true, then false', async () => {
    const record = user();
    await ctx.stores.users.insert(record);
    expect(await ctx.stores.users.remove(record.id)).toBe(true);
    expect(await ctx.stores.users.remove(record.id)).toBe(false);
    expect(await ctx.stores.users.findByUsername(record.username)).toBeUndefined();
  });
});
