/**
 * Turns a configuration into a running context: opens and migrates the database, loads the master
 * key, makes sure signing keys exist. Used by `castellan start`, the CLI and the tests.
 */
import pino from 'pino';
import type { Config } from '../config/config.js';
import { lifetimeMaximum } from '../clients/token-lifetimes.js';
import type { InsuranceStore } from '../security/rate-limit-backend.js';
import { RateLimits } from '../security/rate-limits.js';
import { openStores } from '../storage/sql/create-stores.js';
import type { Stores } from '../storage/stores.js';
import { Keystore } from '../tokens/keystore.js';
import { loadMasterKey, type Sealer } from '../tokens/master-key.js';
import { startShiftedClock } from '../test-control/test-clock.js';
import { systemClock, type Context } from './context.js';

export interface BootstrapOptions {
  clock?: () => number;
  stores?: Stores;
  sealer?: Sealer;
  limits?: RateLimits;
  /** Fields every log line of this process carries (a worker's `worker` id). */
  logBindings?: Record<string, unknown>;
  /** Where rate-limit counters live without Redis: this process, or the primary of a cluster. */
  limitStore?: InsuranceStore;
}

export async function bootstrap(config: Config, options: BootstrapOptions = {}): Promise<Context> {
  const root = pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.client_secret'] });
  const logger = options.logBindings ? root.child(options.logBindings) : root;
  const stores = options.stores ?? (await openStores(config.databaseUrl, { timeoutMs: config.databaseTimeout }));
  stores.reportFaultsTo((report) => {
    if (report.state === 'failing') logger.error({ dependency: report.dependency, cause: report.cause }, `${report.dependency} unavailable: requests needing it answer 503 until it recovers`);
    else logger.warn({ dependency: report.dependency, failures: report.failures, durationMs: report.durationMs }, `${report.dependency} available again`);
  });
  // With the test control API on, the clock is shifted by the offset all nodes share; else no cost at all.
  const shifted = config.testControlEnabled ? await startShiftedClock(stores, options.clock ?? systemClock, logger) : undefined;
  const clock = shifted?.clock ?? options.clock ?? systemClock;
  const sealer = options.sealer ?? loadMasterKey(config);
  const keystore = new Keystore({
    stores,
    sealer,
    clock,
    rsaModulusLength: config.rsaModulusLength,
    // A retired key must verify every ID token and JWT access token it signed (the longest any client's
    // may live), plus a day of clock skew and caches.
    retirementPeriod: Math.max(lifetimeMaximum(config, 'id_token'), lifetimeMaximum(config, 'access_token')) + 86_400,
  });
  await keystore.initialise();
  // Limits passed in belong to the caller, who closes them.
  const limits = options.limits ?? (await RateLimits.create(config, logger, { local: options.limitStore }));
  const shutdown = options.limits ? [] : [() => limits.close()];
  if (shifted) shutdown.push(shifted.stop);
  return { config, stores, keystore, sealer, clock, logger, limits, shutdown };
}
