/**
 * oidc-provider on Redis, as its users deploy it: the adapter interface of oidc-provider's docs
 * (upsert, find, findByUid, findByUserCode, consume, destroy, revokeByGrantId), written after its
 * example Redis adapter (example/adapters/redis.js): one key per model entry, consumable models
 * in a hash so `consume` sets one field, secondary keys for `uid` and `userCode`, a grant index
 * for revokeByGrantId, lifetimes through EXPIRE. Two departures, both small: the grant index is a
 * set (SADD; an entry upserted again is listed once) where the example pushes onto a list, and every
 * key carries a prefix of this run so that clearing it (flushPrefix) touches nothing else in the
 * database.
 */
import { Redis } from 'ioredis';

/** Models oidc-provider calls consume() on: stored as a hash, the payload in one field. */
const consumable = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PushedAuthorizationRequest', 'PreAuthorizedCode']);

const grantKeyFor = (id) => `grant:${id}`;
const userCodeKeyFor = (userCode) => `userCode:${userCode}`;
const uidKeyFor = (uid) => `uid:${uid}`;

/** An adapter class for oidc-provider bound to one client; `prefix` is prepended to every key by ioredis. */
export function createRedisAdapter({ url, prefix }) {
  const client = new Redis(url, { keyPrefix: prefix });

  class RedisAdapter {
    constructor(name) {
      this.name = name;
    }

    key(id) {
      return `${this.name}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      const multi = client.multi();
      if (consumable.has(this.name)) {
        // A re-saved entry must not keep an old `consumed` field: the hash is replaced whole.
        multi.del(key);
        multi.hset(key, { payload: JSON.stringify(payload) });
      } else {
        multi.set(key, JSON.stringify(payload));
      }
      if (expiresIn) multi.expire(key, expiresIn);

      if (payload.grantId) {
        const grantKey = grantKeyFor(payload.grantId);
        multi.sadd(grantKey, key);
        // As the example: the index lives as long as its longest-lived member.
        const ttl = await client.ttl(grantKey);
        if (expiresIn > ttl) multi.expire(grantKey, expiresIn);
      }
      if (payload.userCode) {
        const userCodeKey = userCodeKeyFor(payload.userCode);
        multi.set(userCodeKey, id);
        if (expiresIn) multi.expire(userCodeKey, expiresIn);
      }
      if (payload.uid) {
        const uidKey = uidKeyFor(payload.uid);
        multi.set(uidKey, id);
        if (expiresIn) multi.expire(uidKey, expiresIn);
      }
      await multi.exec();
    }

    async find(id) {
      if (consumable.has(this.name)) {
        const data = await client.hgetall(this.key(id));
        if (!data || !data.payload) return undefined;
        const { payload, consumed } = data;
        return { ...JSON.parse(payload), ...(consumed ? { consumed: Number(consumed) } : {}) };
      }
      const data = await client.get(this.key(id));
      return data ? JSON.parse(data) : undefined;
    }

    async findByUid(uid) {
      const id = await client.get(uidKeyFor(uid));
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode) {
      const id = await client.get(userCodeKeyFor(userCode));
      return id ? this.find(id) : undefined;
    }

    async destroy(id) {
      await client.del(this.key(id));
    }

    async revokeByGrantId(grantId) {
      const grantKey = grantKeyFor(grantId);
      const keys = await client.smembers(grantKey);
      const multi = client.multi();
      for (const key of keys) multi.del(key);
      multi.del(grantKey);
      await multi.exec();
    }

    async consume(id) {
      await client.hset(this.key(id), 'consumed', Math.floor(Date.now() / 1000));
    }
  }

  return { Adapter: RedisAdapter, client };
}

/** Deletes every key under `prefix` (SCAN + UNLINK), and nothing else; returns how many. */
export async function flushPrefix(url, prefix) {
  if (!prefix || prefix.length < 8) throw new Error(`refusing to flush a short prefix "${prefix}"`);
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  let removed = 0;
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await client.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  } finally {
    client.disconnect();
  }
}

/**
 * Deletes the keys of earlier runs under `family` (`<family><pid>-<random>:`) whose bench process
 * is gone: a run stopped by a signal cannot clear its prefix on the way out. Keys of a run still
 * going (its process alive) are left alone; so is everything outside `family`.
 */
export async function flushStalePrefixes(url, family) {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  const stale = new Set();
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${family}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const match = /^(\d+)-[0-9a-f]+:/.exec(key.slice(family.length));
        if (!match) continue;
        const pid = Number(match[1]);
        let alive = true;
        try {
          process.kill(pid, 0);
        } catch (error) {
          alive = error.code === 'EPERM';
        }
        if (!alive) stale.add(key.slice(0, family.length + match[0].length));
      }
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  for (const prefix of stale) await flushPrefix(url, prefix);
  return [...stale];
}
