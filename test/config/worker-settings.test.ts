/**
 * WORKERS: how many worker processes `castellan start` runs, and how they split the PostgreSQL
 * connection budget of a node.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { asWorkerCount, MAX_WORKERS, poolShare, POSTGRES_POOL_BUDGET } from '../../src/config/worker-settings.js';
import { configProblems } from '../support/config-problems.js';

describe('WORKERS', () => {
  it('defaults to 1: one process, no cluster, as before', () => {
    expect(loadConfig({}).workers).toBe(1);
  });

  it('reads a count, and auto as one worker per core this process may use', () => {
    expect(loadConfig({ WORKERS: '4' }).workers).toBe(4);
    expect(loadConfig({ WORKERS: 'auto' }).workers).toBe(Math.min(MAX_WORKERS, availableParallelism()));
    expect(asWorkerCount('auto', () => 8)).toBe(8);
    expect(asWorkerCount('auto', () => 512)).toBe(MAX_WORKERS);
    expect(asWorkerCount(3)).toBe(3);
  });

  it.each(['0', '-1', '1.5', 'two', '65', ' 2', 'AUTO'])('refuses %j with one line naming the variable', (raw) => {
    expect(configProblems({ WORKERS: raw })).toContain(`WORKERS=${JSON.stringify(raw)} is not valid: expected auto (one per core) or an integer from 1 to 64`);
  });

  it('refuses several workers on an in-memory SQLite database, which one process alone can see', () => {
    expect(configProblems({ WORKERS: '2', DATABASE_URL: 'sqlite::memory:' })).toContain('WORKERS above 1 needs a database file or PostgreSQL: an in-memory SQLite database cannot be shared between processes');
    expect(loadConfig({ WORKERS: '1', DATABASE_URL: 'sqlite::memory:' }).workers).toBe(1);
  });
});

describe('PostgreSQL pool budget shared by the workers', () => {
  it('a single process keeps the whole budget', () => {
    expect(poolShare(1)).toEqual({ primary: POSTGRES_POOL_BUDGET, worker: POSTGRES_POOL_BUDGET });
  });

  it('the primary keeps two connections for its jobs and the workers split the rest', () => {
    expect(poolShare(2)).toEqual({ primary: 2, worker: 9 });
    expect(poolShare(4)).toEqual({ primary: 2, worker: 4 });
    for (const workers of [2, 3, 4, 6, 9]) {
      const share = poolShare(workers);
      expect(share.primary + workers * share.worker).toBeLessThanOrEqual(POSTGRES_POOL_BUDGET);
    }
  });

  it('never leaves a worker with fewer than two connections', () => {
    expect(poolShare(16).worker).toBe(2);
  });
});
