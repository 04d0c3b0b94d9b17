/**
 * `npm run loadtest`: every scenario at full length against Castellan (SQLite by default,
 * LOADTEST_DB=postgres for PostgreSQL), with each scenario's speed floors; exits non-zero when a
 * threshold is missed. LOADTEST_ONLY=name,name runs a subset; BENCH_DURATION / BENCH_WARMUP /
 * BENCH_CONNECTIONS set the run length and concurrency.
 */
import { DEFAULTS } from './lib/runner.mjs';
import { runSuite } from './lib/suite.mjs';
import * as authorizationCode from './scenarios/authorization-code.mjs';
import * as clientCredentials from './scenarios/client-credentials.mjs';
import * as discoveryJwks from './scenarios/discovery-jwks.mjs';
import * as firstLogin from './scenarios/first-login.mjs';
import * as introspection from './scenarios/introspection.mjs';
import * as rateLimit from './scenarios/rate-limit.mjs';
import * as refreshRotation from './scenarios/refresh-rotation.mjs';
import * as scaleOut from './scenarios/scale-out.mjs';
import * as tokenLatency from './scenarios/token-latency.mjs';
import * as userinfo from './scenarios/userinfo.mjs';

const failed = await runSuite({
  shared: [
    ['client-credentials', clientCredentials],
    ['authorization-code', authorizationCode],
    ['first-login', firstLogin],
    ['refresh-rotation', refreshRotation],
    ['introspection', { run: (target, options) => introspection.run(target, { ...options, requireAvailable: true }) }],
    ['userinfo', userinfo],
    ['discovery-jwks', discoveryJwks],
    ['token-latency', tokenLatency],
  ],
  own: [
    ['rate-limit', rateLimit],
    ['scale-out', scaleOut],
  ],
  options: { ...DEFAULTS, floors: true },
  only: process.env.LOADTEST_ONLY?.split(','),
});
process.exit(failed > 0 ? 1 : 0);
