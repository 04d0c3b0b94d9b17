/**
 * What every handler may depend on: configuration, stores, keys, a clock and a logger. Handlers get
 * time only from `clock` so tests can move past expiry without sleeping.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Stores } from '../storage/stores.js';
import type { Keystore } from '../tokens/keystore.js';
import type { Sealer } from '../tokens/master-key.js';

export interface Context {
  config: Config;
  stores: Stores;
  keystore: Keystore;
  sealer: Sealer;
  /** Seconds since the epoch. */
  clock: () => number;
  logger: Logger;
}

export const systemClock = (): number => Math.floor(Date.now() / 1000);
