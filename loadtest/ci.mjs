/**
 * `npm run loadtest:ci`: a shortened run for CI on a shared machine. Every scenario runs for a
 * couple of seconds and is judged on correctness only (no connection errors, no unexpected answer,
 * rate limits exact, scale-out consistent), never on absolute speed. Needs a built dist/, and
 * PostgreSQL and Redis on 127.0.0.1 for the scale-out scenario. Scale-out does not wait up to a
 * minute for the periodic key reload here (it says so as a SKIP line); the full run does.
 */
import { runSuite } from './lib/suite.mjs';
import { OWN_SCENARIOS, SHARED_SCENARIOS } from './lib/suite-scenarios.mjs';

const seconds = Number(process.env.LOADTEST_CI_DURATION ?? 2);
const failed = await runSuite({
  shared: SHARED_SCENARIOS,
  own: OWN_SCENARIOS,
  options: { duration: seconds, warmup: 0, connections: 16, floors: false, crossFlows: 40, users: 16, logins: 32, keyReloadWait: false },
  only: process.env.LOADTEST_ONLY?.split(','),
});
process.exit(failed > 0 ? 1 : 0);
