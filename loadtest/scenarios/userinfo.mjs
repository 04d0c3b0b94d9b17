/**
 * UserInfo with Bearer access tokens minted before the run through the code flow (scope openid
 * profile email), requested round-robin with GET.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
import { CLIENTS } from '../lib/fixtures.mjs';
import { runLoad } from '../lib/runner.mjs';
import { correctness, floor, FLOORS } from '../lib/thresholds.mjs';
import { authorizeWithSession, signIn } from '../lib/target.mjs';
import { runStandalone } from '../lib/standalone.mjs';
import { SCOPE } from './authorization-code.mjs';

const LABEL = 'userinfo (GET, Bearer)';

export async function userinfoTokens(target, count) {
  const sessions = await signIn(target, CLIENTS.web, SCOPE, Math.min(count, 8));
  const tokens = [];
  for (let i = 0; i < count; i += 1) tokens.push((await authorizeWithSession(target, sessions[i % sessions.length], CLIENTS.web, SCOPE)).access_token);
  return tokens;
}

export async function run(target, options = {}) {
  const tokens = await userinfoTokens(target, options.pool ?? 64);
  let next = 0;
  const steps = [{
    name: 'userinfo',
    method: 'GET',
    path: target.paths.userinfo,
    setup: () => ({ headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
    expect: 200,
    check: (_status, body) => typeof JSON.parse(body).sub === 'string',
  }];
  const row = { label: LABEL, target: target.name, ...(await runLoad(target.url, steps, options)) };
  return { scenario: 'userinfo', rows: [row], thresholds: [...correctness(LABEL, row), ...floor(LABEL, row.rps, FLOORS.userinfo, 'requests/s', options.floors !== false)] };
}

await runStandalone(import.meta.url, run);
