/**
 * `npm run loadtest`: every scenario at full length against Castellan (SQLite by default,
 * LOADTEST_DB=postgres for PostgreSQL), with each scenario's speed floors; exits non-zero when a
 * threshold is missed. LOADTEST_ONLY=name,name runs a subset; BENCH_DURATION / BENCH_WARMUP /
 * BENCH_CONNECTIONS set the run length and concurrency.
 */
import { DEFAULTS } from './lib/runner.mjs';
import { runSuite } from './lib/suite.mjs';
import { OWN_SCENARIOS, SHARED_SCENARIOS } from './lib/suite-scenarios.mjs';
import * as tokenLatency from './scenarios/token-latency.mjs';

const failed = await runSuite({
  shared: [...SHARED_SCENARIOS, ['token-latency', tokenLatency]],
  own: OWN_SCENARIOS,
  // Only the introspection scenario reads requireAvailable: the full run fails when the endpoint is missing.
  options: { ...DEFAULTS, floors: true, requireAvailable: true },
  only: process.env.LOADTEST_ONLY?.split(','),
});
process.exit(failed > 0 ? 1 : 0);
