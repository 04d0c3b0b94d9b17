/**
 * Client credentials at the token endpoint, once per client authentication method (Basic, body
 * secret, client_secret_jwt, private_key_jwt), each client receiving RS256 JWT access tokens.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2
 */
import { clientAuth, dpopProof, formBody, FORM } from '../lib/auth.mjs';
import { CLIENTS } from '../lib/fixtures.mjs';
import { runLoad } from '../lib/runner.mjs';
import { correctness, floor, FLOORS } from '../lib/thresholds.mjs';
import { runStandalone } from '../lib/standalone.mjs';

export const METHODS = {
  client_secret_basic: CLIENTS.ccBasicJwt,
  client_secret_post: CLIENTS.ccPostJwt,
  client_secret_jwt: CLIENTS.ccSecretJwt,
  private_key_jwt: CLIENTS.ccPrivateKeyJwt,
};

/** The steps of one client credentials request for `clientId` (opaque or JWT by the client's registration). */
export function clientCredentialsSteps(target, clientId, { expectJwt = true } = {}) {
  const auth = clientAuth(target.fixture, clientId, target.meta.token_endpoint);
  const fixed = auth();
  const dynamic = Object.keys(fixed.params).includes('client_assertion');
  const request = (credentials) => ({
    headers: { 'content-type': FORM, ...credentials.headers },
    body: formBody({ grant_type: 'client_credentials', scope: 'api', ...credentials.params }),
  });
  return [{
    name: 'token',
    method: 'POST',
    path: target.paths.token,
    ...(dynamic ? { setup: () => request(auth()) } : request(fixed)),
    expect: 200,
    check: (_status, body) => {
      const token = JSON.parse(body).access_token;
      return typeof token === 'string' && (!expectJwt || token.split('.').length === 3);
    },
  }];
}

/**
 * private_key_jwt (ES256 assertion) with a DPoP proof (ES256) on every request: both servers verify
 * two signatures, check the proof's jti once, and bind the JWT access token (cnf.jkt, token_type DPoP).
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-5
 */
export function dpopClientCredentialsSteps(target) {
  const auth = clientAuth(target.fixture, CLIENTS.ccPrivateKeyJwt, target.meta.token_endpoint);
  return [{
    name: 'token',
    method: 'POST',
    path: target.paths.token,
    setup: () => {
      const { params } = auth();
      return {
        headers: { 'content-type': FORM, dpop: dpopProof(target.fixture.dpopKey, 'POST', target.meta.token_endpoint) },
        body: formBody({ grant_type: 'client_credentials', scope: 'api', ...params }),
      };
    },
    expect: 200,
    check: (_status, body) => {
      const answer = JSON.parse(body);
      return answer.token_type === 'DPoP' && answer.access_token.split('.').length === 3;
    },
  }];
}

export const DPOP_LABEL = 'client credentials (private_key_jwt, DPoP-bound)';

export async function dpopClientCredentials(target, options = {}) {
  return { label: DPOP_LABEL, target: target.name, ...(await runLoad(target.url, dpopClientCredentialsSteps(target), options)) };
}

/** Runs one method; returns the row. */
export async function clientCredentials(target, method, options = {}) {
  return { label: `client credentials (${method})`, target: target.name, ...(await runLoad(target.url, clientCredentialsSteps(target, METHODS[method]), options)) };
}

export async function run(target, options = {}) {
  const methods = options.methods ?? Object.keys(METHODS);
  const rows = [];
  const thresholds = [];
  for (const method of methods) {
    const row = await clientCredentials(target, method, options);
    rows.push(row);
    thresholds.push(...correctness(row.label, row));
    const minimum = method.endsWith('_jwt') ? FLOORS.clientCredentialsAssertion : FLOORS.clientCredentialsSecret;
    thresholds.push(...floor(row.label, row.rps, minimum, 'requests/s', options.floors !== false));
  }
  return { scenario: 'client-credentials', rows, thresholds };
}

await runStandalone(import.meta.url, run);
