/**
 * Opaque-token introspection: a pool of client credentials access tokens (opaque handles) minted
 * before the run, introspected round-robin by a confidential client with HTTP Basic.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
import { basicAuthorization, formBody, FORM } from '../lib/auth.mjs';
import { CLIENTS } from '../lib/fixtures.mjs';
import { runLoad } from '../lib/runner.mjs';
import { correctness, floor, FLOORS, threshold } from '../lib/thresholds.mjs';
import { clientCredentialsTokens } from '../lib/target.mjs';
import { runStandalone } from '../lib/standalone.mjs';

export const LABEL = 'introspection (opaque token)';

export function introspectionSteps(target, tokens, clientId = CLIENTS.ccOpaque) {
  let next = 0;
  const headers = { 'content-type': FORM, authorization: basicAuthorization(clientId, target.fixture.secrets[clientId]) };
  return [{
    name: 'introspect',
    method: 'POST',
    path: target.paths.introspection,
    setup: () => ({ headers, body: formBody({ token: tokens[next++ % tokens.length], token_type_hint: 'access_token' }) }),
    expect: 200,
    check: (_status, body) => JSON.parse(body).active === true,
  }];
}

export async function run(target, options = {}) {
  if (!target.paths.introspection) {
    const row = { label: LABEL, target: target.name, available: false };
    // Not implemented yet: shown as n/a; a failure only where the caller requires it (standalone, full run).
    const thresholds = options.requireAvailable ? [threshold(`${LABEL}: endpoint available`, false, 'no introspection_endpoint in discovery')] : [];
    return { scenario: 'introspection', rows: [row], thresholds };
  }
  const tokens = await clientCredentialsTokens(target, CLIENTS.ccOpaque, options.pool ?? 500);
  const row = { label: LABEL, target: target.name, ...(await runLoad(target.url, introspectionSteps(target, tokens), options)) };
  return { scenario: 'introspection', rows: [row], thresholds: [...correctness(LABEL, row), ...floor(LABEL, row.rps, FLOORS.introspection, 'requests/s', options.floors !== false)] };
}

await runStandalone(import.meta.url, run, { requireAvailable: true });
