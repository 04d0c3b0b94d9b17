/**
 * Token exchange as an API gateway uses it: the gateway holds a user's access token (issued to the
 * web client through the code flow) and exchanges it, with its own client credentials token as the
 * actor, for a JWT access token for one backend. Each request is one exchange: both tokens are
 * looked up and judged active, the policy is checked, a child grant and the new token are written
 * with the audit event. oidc-provider has no token exchange, so the row is Castellan's alone.
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.2.1
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-4.1 (act)
 */
import { basicAuthorization, formBody, FORM } from '../lib/auth.mjs';
import { BACKEND_AUDIENCE, CLIENTS } from '../lib/fixtures.mjs';
import { runLoad } from '../lib/runner.mjs';
import { correctness, threshold } from '../lib/thresholds.mjs';
import { authorizeWithSession, clientCredentialsTokens, signIn } from '../lib/target.mjs';
import { runStandalone } from '../lib/standalone.mjs';

export const LABEL = 'token exchange (delegation, user token -> backend JWT)';
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

/** Users' access tokens from web-app: `users` signed in, `perUser` authorizations each. */
async function userAccessTokens(target, users, perUser) {
  const sessions = await signIn(target, CLIENTS.web, 'openid profile email', users);
  const tokens = [];
  for (const session of sessions) {
    for (let i = 0; i < perUser; i += 1) tokens.push((await authorizeWithSession(target, session, CLIENTS.web, 'openid profile email')).access_token);
  }
  return tokens;
}

export function tokenExchangeSteps(target, subjects, actor) {
  let next = 0;
  const headers = { 'content-type': FORM, authorization: basicAuthorization(CLIENTS.gateway, target.fixture.secrets[CLIENTS.gateway]) };
  return [{
    name: 'exchange',
    method: 'POST',
    path: target.paths.token,
    setup: () => ({
      headers,
      body: formBody({
        grant_type: GRANT,
        subject_token: subjects[next++ % subjects.length],
        subject_token_type: ACCESS_TOKEN,
        actor_token: actor,
        actor_token_type: ACCESS_TOKEN,
        audience: BACKEND_AUDIENCE,
        scope: 'profile',
      }),
    }),
    expect: 200,
    check: (_status, body) => {
      const answer = JSON.parse(body);
      return answer.issued_token_type === ACCESS_TOKEN && answer.access_token.split('.').length === 3;
    },
  }];
}

export async function run(target, options = {}) {
  if (target.kind !== 'castellan') {
    const row = { label: LABEL, target: target.name, available: false };
    return { scenario: 'token-exchange', rows: [row], thresholds: options.requireAvailable ? [threshold(`${LABEL}: grant available`, false, 'no token exchange')] : [] };
  }
  const subjects = await userAccessTokens(target, options.users ?? 8, options.perUser ?? 8);
  const [actor] = await clientCredentialsTokens(target, CLIENTS.gateway, 1);
  const row = { label: LABEL, target: target.name, ...(await runLoad(target.url, tokenExchangeSteps(target, subjects, actor), options)) };
  return { scenario: 'token-exchange', rows: [row], thresholds: correctness(LABEL, row) };
}

await runStandalone(import.meta.url, run, { requireAvailable: true });
