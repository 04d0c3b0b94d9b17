/**
 * Authorization code with PKCE through an existing session: each connection's user signed in and
 * consented once before the run; each iteration is GET /authorize (answered at once with a
 * redirect carrying the code) and the code exchange at the token endpoint (opaque access token +
 * RS256 ID token). Sessions are shared round-robin by the iterations.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 * @spec https://www.rfc-editor.org/rfc/rfc7636#section-4
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 */
import { authorizeStep, codeExchangeStep } from '../lib/code-flow-steps.mjs';
import { CLIENTS, REDIRECT_URI } from '../lib/fixtures.mjs';
import { runLoad, DEFAULTS } from '../lib/runner.mjs';
import { correctness, floor, FLOORS } from '../lib/thresholds.mjs';
import { signIn } from '../lib/target.mjs';
import { runStandalone } from '../lib/standalone.mjs';

export const SCOPE = 'openid profile email';

/** The two steps of one authorization through one of `sessions` (cookie headers). */
export function codeFlowSteps(target, sessions, clientId = CLIENTS.web, scope = SCOPE) {
  let next = 0;
  return [
    authorizeStep(target, clientId, scope, {
      prepare: (context) => {
        context.cookie = sessions[next++ % sessions.length];
        return { cookie: context.cookie };
      },
      check: (_status, _body, context, header) => {
        const location = new URL(header('location'));
        if (!location.href.startsWith(REDIRECT_URI)) return false;
        context.code = location.searchParams.get('code');
        return Boolean(context.code) && location.searchParams.get('iss') === target.meta.issuer;
      },
    }),
    codeExchangeStep(target, clientId, (tokens) => typeof tokens.access_token === 'string' && typeof tokens.id_token === 'string'),
  ];
}

export async function run(target, options = {}) {
  const count = Math.min(options.sessions ?? options.connections ?? DEFAULTS.connections, target.fixture.users.length);
  const sessions = (await signIn(target, CLIENTS.web, SCOPE, count)).map((s) => s.cookie);
  const row = { label: 'authorization code + PKCE (existing session)', target: target.name, ...(await runLoad(target.url, codeFlowSteps(target, sessions), options)) };
  const thresholds = [...correctness(row.label, row), ...floor(row.label, row.iterationsPerSec, FLOORS.authorizationCode, 'flows/s', options.floors !== false)];
  return { scenario: 'authorization-code', rows: [row], thresholds };
}

await runStandalone(import.meta.url, run);
