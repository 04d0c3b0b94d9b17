/**
 * Measured steps shared by the scenarios that go through the authorization code flow (the step
 * shape is runner.mjs's): GET /authorize with a fresh PKCE pair per iteration, and the exchange of
 * the code it led to.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 * @spec https://www.rfc-editor.org/rfc/rfc7636#section-4
 */
import { basicAuthorization, formBody, FORM, pkcePair } from './auth.mjs';
import { REDIRECT_URI } from './fixtures.mjs';
import { authorizeQuery } from './target.mjs';

/**
 * GET /authorize, answered with a redirect. `prepare(context)` picks who this iteration is (a
 * session, a user to sign in later) and may return extra request headers; `check` reads the
 * redirect. The PKCE verifier waits in `context.verifier` for the code exchange.
 */
export function authorizeStep(target, clientId, scope, { prepare, check }) {
  return {
    name: 'authorize',
    method: 'GET',
    setup: (context) => {
      const { verifier, challenge } = pkcePair();
      context.verifier = verifier;
      const headers = prepare(context) ?? {};
      return { path: `${target.paths.authorization}?${authorizeQuery(clientId, scope, challenge)}`, headers };
    },
    expect: [302, 303],
    check,
  };
}

/**
 * POST /token redeeming `context.code` with `context.verifier` (client_secret_basic); skipped when
 * an earlier step got no code. `check(tokens)` judges the parsed §5.1 response.
 */
export function codeExchangeStep(target, clientId, check) {
  const authorization = basicAuthorization(clientId, target.fixture.secrets[clientId]);
  return {
    name: 'token',
    method: 'POST',
    path: target.paths.token,
    setup: (context) => (context.code ? {
      headers: { 'content-type': FORM, authorization },
      body: formBody({ grant_type: 'authorization_code', code: context.code, redirect_uri: REDIRECT_URI, code_verifier: context.verifier }),
    } : null),
    expect: 200,
    check: (_status, body) => check(JSON.parse(body)),
  };
}
