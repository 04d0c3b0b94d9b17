/**
 * The reset of the test control API: every data table emptied and the seed file applied again, in
 * one transaction, so each test of a relying party starts from the same state in well under a
 * second. Then the caches that would remember the old state are dropped: client rows, the clock
 * offset, the incident state (IP blocks, emergency mode), and the rate-limit and login-throttle
 * counters wherever they live (this process, the primary of a node with workers, Redis), so a test
 * that tripped a limit does not leave the next one throttled.
 * Kept: the schema and its migration records, and the signing keys, so relying parties' cached
 * JWKS stay valid (POST /admin/test/keys/rotate changes keys when a test wants that).
 */
import { hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Context } from '../server/context.js';
import { announce } from '../server/cluster-notices.js';
import { OAuthError } from '../errors/oauth-error.js';
import { applySeed, loadSeedFile, type SeedFile } from '../seed/seed-file.js';
import { reloadEmergencyState } from '../security/emergency-mode.js';
import { blocklistOf } from '../security/ip-blocklist.js';
import { throttling } from '../security/login-attempt.js';
import { CachedClientStore } from '../storage/client-cache.js';
import type { Tx, UserRecord } from '../storage/stores.js';
import type { RecreatedUser } from '../users/user-service.js';
import { reloadClock } from './test-clock.js';

/** Tables the reset leaves alone: knex's record of the schema, and the signing keys. */
export const KEPT_TABLES: readonly string[] = ['knex_migrations', 'knex_migrations_lock', 'signing_keys'];

/**
 * Password hashes this process made for seed users, with a digest of the password they hash: a reset
 * reuses a hash when the stored one is still it and the seed's password is unchanged, instead of
 * spending an argon2 hash per seed user on every reset (most of a reset's time otherwise).
 */
const seedHashes = new Map<string, { passwordDigest: string; hash: string }>();
const digest = (password: string) => hash('sha256', password, 'base64url');

function rememberHash(username: string, password: string, passwordHash: string): void {
  seedHashes.set(username, { passwordDigest: digest(password), hash: passwordHash });
}

/** The seed users as they are before the reset, by username. */
async function previousSeedUsers(ctx: Context, seed: SeedFile | undefined, tx: Tx): Promise<Map<string, UserRecord>> {
  const found = new Map<string, UserRecord>();
  for (const { username } of seed?.users ?? []) {
    const user = await ctx.stores.users.findByUsername(username, tx);
    if (user) found.set(username, user);
  }
  return found;
}

/** A seed user keeps its id (its `sub`: relying parties' tests may hold on to it) across resets. */
function recreated(previous: UserRecord | undefined, password: string): RecreatedUser | undefined {
  if (!previous) return undefined;
  const known = seedHashes.get(previous.username);
  const unchanged = known !== undefined && known.hash === previous.passwordHash && known.passwordDigest === digest(password);
  return { id: previous.id, passwordHash: unchanged ? previous.passwordHash : undefined };
}

interface ResetReport {
  tables_emptied: number;
  seed: { file: string | null; clients: number; users: number };
  /** Keys of rate-limit and login-throttle counters dropped, and the stores they were in. */
  rate_limit_counters: { cleared: number; stores: string[] };
  duration_ms: number;
}

/**
 * Forgets the rate-limit and login-throttle counters. The data is already reset when this runs, so
 * a counter store that fails (Redis down, the primary not answering) is an outage to retry, 503
 * temporarily_unavailable, not a server error: a second reset then does the whole job.
 */
async function clearCounters(ctx: Context): Promise<ResetReport['rate_limit_counters']> {
  const throttle = throttling(ctx);
  try {
    let cleared = await ctx.limits.clearCounters();
    // A store shared with the limits (throttling()) was emptied by that call already.
    if (!throttle.sharesLimitsStore) cleared += await throttle.clearCounters();
    return { cleared, stores: [...new Set([ctx.limits.store, throttle.store])] };
  } catch (error) {
    throw new OAuthError('temporarily_unavailable', 'The data was reset, but the rate-limit counters could not be cleared; retry the reset', {
      requirement: 'CASTELLAN-TC-RESET-3', cause: error, headers: { 'Retry-After': '1' },
    });
  }
}

export async function resetState(ctx: Context): Promise<ResetReport> {
  const started = performance.now();
  // Read and checked before anything is deleted: a broken seed file leaves the state as it was.
  const seed: SeedFile | undefined = ctx.config.seedFile ? loadSeedFile(ctx.config.seedFile, ctx.config) : undefined;
  const { tables, clientIds, created } = await ctx.stores.transaction(async (tx) => {
    const clientIds = (await ctx.stores.clients.list(tx)).map((client) => client.clientId);
    const seedUsers = await previousSeedUsers(ctx, seed, tx);
    const tables = await ctx.stores.testControl.emptyTables(KEPT_TABLES, tx);
    const created = seed ? await applySeed(ctx, seed, tx, (username, password) => recreated(seedUsers.get(username), password)) : undefined;
    for (const user of created ? await Promise.all(created.users.created.map((name) => ctx.stores.users.findByUsername(name, tx))) : []) {
      if (user) rememberHash(user.username, seed!.users!.find((u) => u.username === user.username)!.password, user.passwordHash);
    }
    return { tables, clientIds, created };
  });
  const cache = ctx.stores.clients instanceof CachedClientStore ? ctx.stores.clients : undefined;
  for (const clientId of new Set([...clientIds, ...(created?.clients.created ?? [])])) {
    cache?.forget(clientId);
    announce({ type: 'client-changed', clientId });
  }
  const counters = await clearCounters(ctx);
  await reloadClock(ctx);
  await reloadEmergencyState(ctx);
  announce({ type: 'emergency-changed' });
  await blocklistOf(ctx).reload(ctx);
  announce({ type: 'ip-blocks-changed' });
  return {
    tables_emptied: tables.length,
    seed: { file: ctx.config.seedFile ?? null, clients: created?.clients.created.length ?? 0, users: created?.users.created.length ?? 0 },
    rate_limit_counters: counters,
    duration_ms: Math.round((performance.now() - started) * 10) / 10,
  };
}
