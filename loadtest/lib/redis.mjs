/**
 * The Redis database the multi-node scenarios share their rate-limit counters in. A dedicated
 * database number, emptied before each use, so counts from an earlier run never carry over.
 */
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.LOADTEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

export async function freshRedis(url = REDIS_URL) {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    await client.flushdb();
    return url;
  } finally {
    client.disconnect();
  }
}

export async function redisAvailable(url = REDIS_URL) {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
