/**
 * A server under test as the scenarios see it: base URL, endpoint paths from its discovery document
 * (so Castellan's /authorize and oidc-provider's /auth need no special cases), the fixture, and
 * helpers that prepare state before a measured run: signed-in sessions with remembered consent,
 * tokens minted through the real endpoints.
 */
import { basicAuthorization, clientAuth, formBody, FORM, pkcePair } from './auth.mjs';
import { Browser } from './browser.mjs';
import { REDIRECT_URI } from './fixtures.mjs';

export async function prepareTarget(server, fixture, label) {
  const response = await fetch(`${server.url}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`${server.url}: discovery answered ${response.status}`);
  const meta = await response.json();
  const path = (endpoint) => (endpoint ? new URL(endpoint).pathname : undefined);
  return {
    name: label ?? server.name,
    kind: server.kind,
    url: server.url,
    server,
    fixture,
    meta,
    paths: {
      discovery: '/.well-known/openid-configuration',
      authorization: path(meta.authorization_endpoint),
      token: path(meta.token_endpoint),
      introspection: path(meta.introspection_endpoint),
      userinfo: path(meta.userinfo_endpoint),
      jwks: path(meta.jwks_uri),
      deviceAuthorization: path(meta.device_authorization_endpoint),
    },
  };
}

export function authorizeQuery(clientId, scope, challenge, extra = {}) {
  return new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope,
    state: Math.random().toString(36).slice(2), code_challenge: challenge, code_challenge_method: 'S256', ...extra,
  }).toString();
}

/** Exchanges a code at the token endpoint (client_secret_basic). */
export async function redeemCode(target, clientId, code, verifier) {
  const response = await fetch(target.url + target.paths.token, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basicAuthorization(clientId, target.fixture.secrets[clientId]) },
    body: formBody({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`${target.name}: code exchange answered ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/**
 * Signs in `count` users (one browser each) through login and consent for `clientId`, so later
 * authorization requests with their cookies are answered at once. Returns [{ user, cookie, browser }].
 */
export async function signIn(target, clientId, scope, count, extra = {}) {
  const users = target.fixture.users.slice(0, count);
  if (users.length < count) throw new Error(`the fixture has only ${users.length} users`);
  const sessions = [];
  for (const user of users) {
    const browser = new Browser();
    const { challenge, verifier } = pkcePair();
    const url = `${target.url}${target.paths.authorization}?${authorizeQuery(clientId, scope, challenge, extra)}`;
    const { redirect } = await browser.flow(url, REDIRECT_URI, user);
    const code = redirect.searchParams.get('code');
    if (!code) throw new Error(`${target.name}: sign-in for ${user.username} ended without a code: ${redirect}`);
    await redeemCode(target, clientId, code, verifier);
    sessions.push({ user, browser, cookie: browser.cookieHeader() });
  }
  return sessions;
}

/** One authorization through an existing session, then the code exchange; returns the token response. */
export async function authorizeWithSession(target, session, clientId, scope, extra = {}) {
  const { challenge, verifier } = pkcePair();
  const url = `${target.url}${target.paths.authorization}?${authorizeQuery(clientId, scope, challenge, extra)}`;
  const { redirect } = await session.browser.flow(url, REDIRECT_URI, session.user, 8);
  return redeemCode(target, clientId, redirect.searchParams.get('code'), verifier);
}

/** `count` client credentials access tokens for `clientId`. */
export async function clientCredentialsTokens(target, clientId, count, scope = 'api') {
  const auth = clientAuth(target.fixture, clientId, target.meta.token_endpoint);
  const tokens = [];
  for (let i = 0; i < count; i += 1) {
    const { headers, params } = auth();
    const response = await fetch(target.url + target.paths.token, {
      method: 'POST',
      headers: { 'content-type': FORM, ...headers },
      body: formBody({ grant_type: 'client_credentials', scope, ...params }),
    });
    const body = await response.json();
    if (response.status !== 200) throw new Error(`${target.name}: client credentials answered ${response.status} ${JSON.stringify(body)}`);
    tokens.push(body.access_token);
  }
  return tokens;
}
