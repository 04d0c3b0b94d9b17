/**
 * Scale-out, tokens: what one node writes, the other reads at once (tokens are never cached on a
 * node; only client rows are, CLIENT_CACHE_TTL), and single use holds across nodes under a race.
 * - an access token (opaque and JWT) issued at node 1 introspects active at node 2, is revoked at
 *   node 2, and introspects inactive at node 1 right after, though node 1 had just read it;
 * - 50 concurrent refresh requests with the same refresh token, alternately at both nodes: one
 *   succeeds, 49 are invalid_grant, and the reuse revokes the family, including the winner's tokens.
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token reuse detection)
 */
import { basicAuthorization, formBody, FORM } from '../lib/auth.mjs';
import { CLIENTS } from '../lib/fixtures.mjs';
import { authorizeWithSession } from '../lib/target.mjs';
import { threshold } from '../lib/thresholds.mjs';

const OFFLINE = 'openid offline_access';

/** A form POST to `path` with the client's Basic credentials; the body parsed when it is JSON. */
export async function formPost(target, path, params, clientId) {
  const response = await fetch(target.url + path, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basicAuthorization(clientId, target.fixture.secrets[clientId]) },
    body: formBody(params),
  });
  const text = await response.text();
  let body = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { text: text.slice(0, 200) };
  }
  return { status: response.status, body };
}

const revocationPath = (target) => new URL(target.meta.revocation_endpoint).pathname;
const introspect = async (target, token, clientId) => (await formPost(target, target.paths.introspection, { token }, clientId)).body.active;

/** Issue at node 1, introspect at both, revoke at node 2, introspect at node 1 again. */
async function revokeAcrossNodes([one, two], clientId) {
  const issued = await formPost(one, one.paths.token, { grant_type: 'client_credentials', scope: 'api' }, clientId);
  const token = issued.body.access_token;
  if (issued.status !== 200 || !token) return { issued: issued.status };
  const result = { issued: issued.status, format: token.split('.').length === 3 ? 'jwt' : 'opaque' };
  result.activeAtTwo = await introspect(two, token, clientId);
  // Node 1 reads the token (and caches the client row) before the revocation elsewhere.
  result.activeAtOne = await introspect(one, token, clientId);
  result.revokeAtTwo = (await formPost(two, revocationPath(two), { token, token_type_hint: 'access_token' }, clientId)).status;
  result.activeAtOneAfter = await introspect(one, token, clientId);
  result.activeAtTwoAfter = await introspect(two, token, clientId);
  return result;
}

export async function revocationChecks(targets) {
  const thresholds = [];
  for (const clientId of [CLIENTS.ccOpaque, CLIENTS.ccBasicJwt]) {
    const r = await revokeAcrossNodes(targets, clientId);
    const name = `scale-out: a ${r.format ?? clientId} access token from node 1 is active at node 2, revoked at node 2 (RFC 7009), inactive at node 1 at once`;
    const ok = r.issued === 200 && r.activeAtTwo === true && r.activeAtOne === true && r.revokeAtTwo === 200 && r.activeAtOneAfter === false && r.activeAtTwoAfter === false;
    thresholds.push(threshold(name, ok, JSON.stringify(r)));
  }
  return thresholds;
}

/** `count` concurrent refreshes with one token, alternately at each node; then the family's state. */
export async function concurrentRefresh(targets, session, count = 50) {
  const first = await authorizeWithSession(targets[0], session, CLIENTS.webRefresh, OFFLINE, { prompt: 'consent' });
  const body = { grant_type: 'refresh_token', refresh_token: first.refresh_token };
  const started = Date.now();
  const answers = await Promise.all(Array.from({ length: count }, async (_, i) => ({ node: (i % targets.length) + 1, ...(await formPost(targets[i % targets.length], targets[i % targets.length].paths.token, body, CLIENTS.webRefresh)) })));
  const ms = Date.now() - started;
  const winners = answers.filter((a) => a.status === 200);
  const refused = answers.filter((a) => a.status === 400 && a.body.error === 'invalid_grant');
  const result = { count, ms, ok: winners.length, invalidGrant: refused.length, other: count - winners.length - refused.length, winnerNode: winners[0]?.node };
  const winner = winners[0]?.body;
  if (winner) {
    const again = await formPost(targets[0], targets[0].paths.token, { grant_type: 'refresh_token', refresh_token: winner.refresh_token }, CLIENTS.webRefresh);
    result.newRefresh = `${again.status} ${again.body.error ?? ''}`.trim();
    result.newAccessActive = await introspect(targets[1], winner.access_token, CLIENTS.webRefresh);
    result.firstAccessActive = await introspect(targets[0], first.access_token, CLIENTS.webRefresh);
  }
  return result;
}

export async function concurrentRefreshChecks(targets, session, count = 50) {
  const r = await concurrentRefresh(targets, session, count);
  return [
    threshold(`scale-out: ${count} concurrent uses of one refresh token over both nodes give exactly one 200 and ${count - 1} invalid_grant`, r.ok === 1 && r.invalidGrant === count - 1, JSON.stringify(r)),
    threshold('scale-out: after that race the family is revoked (the winner\'s refresh token refused, its access token and the first one inactive)', r.newRefresh === '400 invalid_grant' && r.newAccessActive === false && r.firstAccessActive === false, `new refresh token: ${r.newRefresh}, new access token active: ${r.newAccessActive}, first access token active: ${r.firstAccessActive}`),
  ];
}
