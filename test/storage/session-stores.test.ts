/**
 * Store conformance: browser sessions, interactions (login and consent steps) and remembered consents.
 * Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionRecord, SessionRecord } from '../../src/storage/stores.js';
import { hashHandle, newHandle, newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const session = (overrides: Partial<SessionRecord> = {}): SessionRecord => ({
  idHash: hashHandle(newHandle()), userId: newId(), sid: newId(), authTime: 1_700_000_000, acr: '1', amr: ['pwd'],
  createdAt: 1_700_000_000, lastSeenAt: 1_700_000_000, idleExpiresAt: 1_700_001_800, absoluteExpiresAt: 1_700_043_200, ...overrides,
});

const interaction = (overrides: Partial<InteractionRecord> = {}): InteractionRecord => ({
  uidHash: hashHandle(newHandle()), request: { client_id: 'client-a', scope: 'openid', state: 'xyz', max_age: 60 }, userId: null,
  csrfTokenHash: hashHandle(newHandle()), createdAt: 1_700_000_000, expiresAt: 1_700_000_900, ...overrides,
});

describe(`SessionStore conformance on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('finds an inserted session by id hash and by sid', async () => {
    const record = session();
    await ctx.stores.sessions.insert(record);
    expect(await ctx.stores.sessions.find(record.idHash)).toEqual(record);
    expect(await ctx.knex('sessions').where({ sid: record.sid }).pluck('id_hash')).toEqual([record.idHash]);
    expect(await ctx.stores.sessions.find(hashHandle('unknown'))).toBeUndefined();
    expect(await ctx.knex('sessions').where({ sid: 'unknown' })).toEqual([]);
  });

  it('findOfExistingUser finds a session only while its user exists', async () => {
    const userId = newId();
    await ctx.stores.users.insert({ id: userId, username: `u-${userId}`, passwordHash: 'x', claims: {}, createdAt: 1, updatedAt: 1 });
    const record = session({ userId });
    const orphan = session();
    await ctx.stores.sessions.insert(record);
    await ctx.stores.sessions.insert(orphan);
    expect(await ctx.stores.sessions.findOfExistingUser(record.idHash)).toEqual({ session: record, consent: undefined });
    expect(await ctx.stores.sessions.findOfExistingUser(orphan.idHash)).toBeUndefined();
    expect(await ctx.stores.sessions.findOfExistingUser(hashHandle('unknown'))).toBeUndefined();
  });

  it('findOfExistingUser with a client returns the session with that client\'s consent only, and nothing for a deleted user\'s session', async () => {
    const userId = newId();
    await ctx.stores.users.insert({ id: userId, username: `c-${userId}`, passwordHash: 'x', claims: {}, createdAt: 1, updatedAt: 1 });
    const record = session({ userId });
    await ctx.stores.sessions.insert(record);
    await ctx.stores.consents.upsert({ userId, clientId: 'client-a', scope: 'openid email', grantedAt: 1_700_000_100 });
    expect(await ctx.stores.sessions.findOfExistingUser(record.idHash, 'client-a')).toEqual({
      session: record, consent: { userId, clientId: 'client-a', scope: 'openid email', grantedAt: 1_700_000_100 },
    });
    expect(await ctx.stores.sessions.findOfExistingUser(record.idHash, 'client-b')).toEqual({ session: record, consent: undefined });
    const orphan = session();
    await ctx.stores.sessions.insert(orphan);
    expect(await ctx.stores.sessions.findOfExistingUser(orphan.idHash, 'client-a')).toBeUndefined();
    expect(await ctx.stores.sessions.findOfExistingUser(hashHandle('unknown'), 'client-a')).toBeUndefined();
  });

  it('touch moves last-seen and idle expiry, never the absolute expiry', async () => {
    const record = session({ amr: null, acr: null });
    await ctx.stores.sessions.insert(record);
    await ctx.stores.sessions.touch(record.idHash, 1_700_000_600, 1_700_002_400);
    expect(await ctx.stores.sessions.find(record.idHash)).toEqual({ ...record, lastSeenAt: 1_700_000_600, idleExpiresAt: 1_700_002_400 });
  });

  it('remove returns true once, then false', async () => {
    const record = session();
    await ctx.stores.sessions.insert(record);
    expect(await ctx.stores.sessions.remove(record.idHash)).toBe(true);
    expect(await ctx.stores.sessions.remove(record.idHash)).toBe(false);
    expect(await ctx.knex('sessions').where({ sid: record.sid })).toEqual([]);
  });
});

describe(`InteractionStore conformance on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('finds an inserted interaction with its validated request intact', async () => {
    const record = interaction();
    await ctx.stores.interactions.insert(record);
    expect(await ctx.stores.interactions.find(record.uidHash)).toEqual(record);
  });

  it('setUser records who signed in', async () => {
    const record = interaction();
    await ctx.stores.interactions.insert(record);
    await ctx.stores.interactions.setUser(record.uidHash, 'user-42');
    expect((await ctx.stores.interactions.find(record.uidHash))?.userId).toBe('user-42');
  });

  it('take completes an interaction once: true, then false, then gone', async () => {
    const record = interaction();
    await ctx.stores.interactions.insert(record);
    expect(await ctx.stores.interactions.take(record.uidHash)).toBe(true);
    expect(await ctx.stores.interactions.take(record.uidHash)).toBe(false);
    expect(await ctx.stores.interactions.find(record.uidHash)).toBeUndefined();
  });

  it('take lets exactly one of 20 concurrent submissions win', async () => {
    const record = interaction();
    await ctx.stores.interactions.insert(record);
    const results = await Promise.all(Array.from({ length: 20 }, () => ctx.stores.interactions.take(record.uidHash)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe(`ConsentStore conformance on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('finds nothing before consent is given', async () => {
    expect(await ctx.stores.consents.find('user-x', 'client-x')).toBeUndefined();
  });

  it('upsert inserts, then replaces scope and time for the same user and client', async () => {
    await ctx.stores.consents.upsert({ userId: 'user-1', clientId: 'client-a', scope: 'openid', grantedAt: 100 });
    await ctx.stores.consents.upsert({ userId: 'user-1', clientId: 'client-a', scope: 'openid profile email', grantedAt: 200 });
    expect(await ctx.stores.consents.find('user-1', 'client-a')).toEqual({ userId: 'user-1', clientId: 'client-a', scope: 'openid profile email', grantedAt: 200 });
  });

  it('keeps consents per user and client apart', async () => {
    await ctx.stores.consents.upsert({ userId: 'user-2', clientId: 'client-a', scope: 'openid', grantedAt: 100 });
    await ctx.stores.consents.upsert({ userId: 'user-2', clientId: 'client-b', scope: 'openid email', grantedAt: 100 });
    expect((await ctx.stores.consents.find('user-2', 'client-a'))?.scope).toBe('openid');
    expect((await ctx.stores.consents.find('user-2', 'client-b'))?.scope).toBe('openid email');
  });

  it('remove returns true once, then false', async () => {
    await ctx.stores.consents.upsert({ userId: 'user-3', clientId: 'client-a', scope: 'openid', grantedAt: 100 });
    expect(await ctx.stores.consents.remove('user-3', 'client-a')).toBe(true);
    expect(await ctx.stores.consents.remove('user-3', 'client-a')).toBe(false);
    expect(await ctx.stores.consents.find('user-3', 'client-a')).toBeUndefined();
  });
});
