/**
 * The scenarios both `npm run loadtest` and `npm run loadtest:ci` run, in the order they run them,
 * as runSuite takes them: `shared` against the one Castellan the suite starts, `own` starting their
 * own servers. Kept in one list so a new scenario is not run by one command and forgotten by the other.
 */
import * as authorizationCode from '../scenarios/authorization-code.mjs';
import * as clientCredentials from '../scenarios/client-credentials.mjs';
import * as discoveryJwks from '../scenarios/discovery-jwks.mjs';
import * as firstLogin from '../scenarios/first-login.mjs';
import * as introspection from '../scenarios/introspection.mjs';
import * as rateLimit from '../scenarios/rate-limit.mjs';
import * as refreshRotation from '../scenarios/refresh-rotation.mjs';
import * as scaleOut from '../scenarios/scale-out.mjs';
import * as userinfo from '../scenarios/userinfo.mjs';
import * as workers from '../scenarios/workers.mjs';

export const SHARED_SCENARIOS = [
  ['client-credentials', clientCredentials],
  ['authorization-code', authorizationCode],
  ['first-login', firstLogin],
  ['refresh-rotation', refreshRotation],
  ['introspection', introspection],
  ['userinfo', userinfo],
  ['discovery-jwks', discoveryJwks],
];

export const OWN_SCENARIOS = [
  ['rate-limit', rateLimit],
  ['scale-out', scaleOut],
  ['workers', workers],
];
