/**
 * How many worker processes `castellan start` runs (src/server/cluster-primary.ts), and how they
 * split the PostgreSQL connection budget. Parsers return undefined for a bad value so loadConfig
 * reports it in its usual one-line form.
 */
import { availableParallelism } from 'node:os';

export interface WorkerConfig {
  /** Worker processes serving PORT; 1 (the default) is one process with no cluster at all. */
  workers: number;
}

/** More workers than this is a typo, not a machine: each one holds a database pool and its own heap. */
export const MAX_WORKERS = 64;

/** `auto` (one per core the process may use) or an integer from 1 to MAX_WORKERS. */
export function asWorkerCount(raw: unknown, cores: () => number = availableParallelism): number | undefined {
  if (raw === 'auto') return Math.min(MAX_WORKERS, Math.max(1, cores()));
  const count = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isInteger(count) && count >= 1 && count <= MAX_WORKERS ? count : undefined;
}

/** Problems that involve more than one setting, in loadConfig's one-line style. */
export function workerProblems(config: Partial<WorkerConfig> & { databaseUrl?: string }): string[] {
  // An in-memory SQLite database lives in one process: workers would each have their own.
  if ((config.workers ?? 1) > 1 && (config.databaseUrl === 'sqlite:' || config.databaseUrl === 'sqlite::memory:')) {
    return ['WORKERS above 1 needs a database file or PostgreSQL: an in-memory SQLite database cannot be shared between processes'];
  }
  return [];
}

/** PostgreSQL connections one process may open when it runs alone (the pool of a single node). */
export const POSTGRES_POOL_BUDGET = 20;
/** The primary's share: its scheduled jobs run one at a time and need no more. */
const PRIMARY_CONNECTIONS = 2;
/** A worker's floor: one for a transaction, one for the reads that come meanwhile. */
const MIN_WORKER_CONNECTIONS = 2;

/**
 * Pool sizes when `workers` processes share one node's budget: the primary keeps two connections
 * for its jobs and the workers split the rest, so adding workers does not multiply the connections
 * a node asks of PostgreSQL (its max_connections is shared by every node). Past nine workers the
 * floor of two each wins and the node uses slightly more than the budget.
 */
export function poolShare(workers: number, budget = POSTGRES_POOL_BUDGET): { primary: number; worker: number } {
  if (workers <= 1) return { primary: budget, worker: budget };
  return { primary: PRIMARY_CONNECTIONS, worker: Math.max(MIN_WORKER_CONNECTIONS, Math.floor((budget - PRIMARY_CONNECTIONS) / workers)) };
}
