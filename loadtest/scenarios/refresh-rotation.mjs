/**
 * Refresh token rotation: a pool of refresh tokens (one grant each, from the code flow with
 * offline_access) is minted before the run; each request presents one and puts the rotated token
 * back, so no token is ever presented twice (a reuse would revoke its grant by design).
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (rotation)
 */
import { basicAuthorization, formBody, FORM } from '../lib/auth.mjs';
import { CLIENTS } from '../lib/fixtures.mjs';
import { DEFAULTS, runLoad } from '../lib/runner.mjs';
import { correctness, floor, FLOORS, threshold } from '../lib/thresholds.mjs';
import { authorizeWithSession, signIn } from '../lib/target.mjs';
import { runStandalone } from '../lib/standalone.mjs';

const LABEL = 'refresh token rotation';
const SCOPE = 'openid offline_access';

export async function refreshTokens(target, count) {
  // OIDC Core §11: offline_access needs prompt=consent to be granted.
  const extra = { prompt: 'consent' };
  const sessions = await signIn(target, CLIENTS.webRefresh, SCOPE, Math.min(count, 8), extra);
  const tokens = [];
  for (let i = 0; i < count; i += 1) {
    const session = sessions[i % sessions.length];
    // After the first consent, a repeated prompt=consent shows the consent page again: the browser approves it.
    const body = await authorizeWithSession(target, session, CLIENTS.webRefresh, SCOPE, extra);
    if (!body.refresh_token) throw new Error(`${target.name}: no refresh token issued for offline_access`);
    tokens.push(body.refresh_token);
  }
  return tokens;
}

export function refreshSteps(target, pool, clientId = CLIENTS.webRefresh) {
  const headers = { 'content-type': FORM, authorization: basicAuthorization(clientId, target.fixture.secrets[clientId]) };
  return [{
    name: 'refresh',
    method: 'POST',
    path: target.paths.token,
    setup: (context) => {
      // An empty pool (tokens lost with failed or cut-off requests) sends a token that cannot work,
      // so the loss shows as unexpected answers instead of stopping the generator.
      const token = pool.shift() ?? 'pool-exhausted';
      context.presented = token;
      return { headers, body: formBody({ grant_type: 'refresh_token', refresh_token: token }) };
    },
    expect: 200,
    check: (_status, body, context) => {
      const tokens = JSON.parse(body);
      if (typeof tokens.refresh_token !== 'string' || tokens.refresh_token === context.presented) return false;
      pool.push(tokens.refresh_token);
      return true;
    },
  }];
}

export async function run(target, options = {}) {
  const connections = options.connections ?? DEFAULTS.connections;
  // Requests cut off when a run stops lose their token: keep spares for the warm-up and the run.
  const pool = await refreshTokens(target, options.pool ?? connections * 4);
  const row = { label: LABEL, target: target.name, ...(await runLoad(target.url, refreshSteps(target, pool), options)) };
  return {
    scenario: 'refresh-rotation',
    rows: [row],
    thresholds: [
      ...correctness(LABEL, row),
      threshold(`${LABEL}: no pipeline resets (a rotated token always came back)`, row.resets === 0 || row.resets === undefined, `${row.resets ?? 0} resets`),
      ...floor(LABEL, row.rps, FLOORS.refreshRotation, 'requests/s', options.floors !== false),
    ],
  };
}

await runStandalone(import.meta.url, run);
