/**
 * Scale-out: two Castellan nodes behind one issuer, sharing PostgreSQL (all durable state) and
 * Redis (rate-limit counters), as a load balancer without stickiness would use them.
 * - correctness across nodes: codes issued by one node are redeemed at the other; refresh tokens
 *   rotate alternately on both; replaying a rotated token at the other node revokes the family;
 * - tokens (scale-out-tokens.mjs): issued at one node, introspected and revoked at the other; 50
 *   concurrent uses of one refresh token over both nodes: one success, the family revoked;
 * - shared state (scale-out-state.mjs, scale-out-keys.mjs): IP blocks set with the CLI, key
 *   rotation within the reload delay and at once for an unknown kid, sessions across a restart;
 * - load spread over both nodes (client credentials, code flow through existing sessions): no errors;
 * - a rate limit shared through Redis admits exactly its limit across both nodes.
 * Starts its own servers; needs PostgreSQL and Redis on 127.0.0.1. Options: keyReloadWait=false
 * skips waiting up to a minute for the periodic key reload (CI), crossFlows, users.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (single-use codes)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token reuse detection)
 */
import { randomBytes } from 'node:crypto';
import { basicAuthorization, formBody, FORM, pkcePair } from '../lib/auth.mjs';
import { CLIENTS, REDIRECT_URI } from '../lib/fixtures.mjs';
import { freshRedis, redisAvailable } from '../lib/redis.mjs';
import { runLoad } from '../lib/runner.mjs';
import { castellanBenchEnv, freshPostgresDatabase, postgresAvailable, startCastellan } from '../lib/servers.mjs';
import { authorizeQuery, prepareTarget, signIn } from '../lib/target.mjs';
import { correctness, threshold } from '../lib/thresholds.mjs';
import { runStandalone } from '../lib/standalone.mjs';
import { codeFlowSteps, SCOPE } from './authorization-code.mjs';
import { clientCredentialsSteps } from './client-credentials.mjs';
import { checkExactLimit, tokenStep } from './rate-limit.mjs';
import { keyReloadSkipped, newKeyAcrossNodesChecks, rotateKeys, watchKeyReload } from './scale-out-keys.mjs';
import { ipBlockChecks, sessionAfterRestartChecks } from './scale-out-state.mjs';
import { concurrentRefreshChecks, revocationChecks } from './scale-out-tokens.mjs';

const NODES = 2;

/** Starts NODES nodes on one database, one master key, one issuer (the first node's URL). */
async function startCluster(fixture, databaseUrl, masterKey, env) {
  const nodes = [];
  try {
    // One after the other: the first migrates and seeds, the others find everything in place.
    for (let i = 0; i < NODES; i += 1) {
      nodes.push(await startCastellan({ fixture, db: 'postgres', databaseUrl, masterKey, issuer: nodes[0]?.url, env, name: `castellan-node-${i + 1}` }));
    }
    return nodes;
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
}

/** Stops node `index` and starts it again on the same port, database, key and issuer; returns the ms it took. */
async function restartNode(nodes, index, fixture, deployment, env) {
  const old = nodes[index];
  const started = Date.now();
  await old.stop();
  nodes[index] = await startCastellan({ fixture, db: 'postgres', ...deployment, issuer: old.issuer, port: old.port, env, name: old.name });
  return Date.now() - started;
}

async function post(target, body, clientId) {
  const response = await fetch(target.url + target.paths.token, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basicAuthorization(clientId, target.fixture.secrets[clientId]) },
    body: formBody(body),
  });
  return { status: response.status, body: await response.json() };
}

/** `count` flows, each authorized at one node and redeemed at the other, a few at a time. */
async function crossNodeCodes(targets, sessions, count) {
  let ok = 0;
  const failures = [];
  const one = async (i) => {
    const [issuing, redeeming] = i % 2 === 0 ? targets : [...targets].reverse();
    const { verifier, challenge } = pkcePair();
    const response = await fetch(`${issuing.url}${issuing.paths.authorization}?${authorizeQuery(CLIENTS.web, SCOPE, challenge)}`, { redirect: 'manual', headers: { cookie: sessions[i % sessions.length] } });
    const location = response.headers.get('location') ?? '';
    const code = location.startsWith(REDIRECT_URI) ? new URL(location).searchParams.get('code') : null;
    if (!code) return failures.push(`authorize at ${issuing.name}: ${response.status} ${location.slice(0, 120)}`);
    const token = await post(redeeming, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, CLIENTS.web);
    if (token.status === 200 && token.body.id_token) ok += 1;
    else failures.push(`redeem at ${redeeming.name}: ${token.status} ${JSON.stringify(token.body)}`);
  };
  for (let i = 0; i < count; i += 8) await Promise.all(Array.from({ length: Math.min(8, count - i) }, (_, j) => one(i + j)));
  return { ok, failures };
}

/** Rotates one refresh token alternately at both nodes, then replays an old one at the other node. */
async function crossNodeRefresh(targets, session) {
  const [a, b] = targets;
  const { verifier, challenge } = pkcePair();
  // prompt=consent (needed for offline_access) shows the consent page: the browser approves it at node A.
  const url = `${a.url}${a.paths.authorization}?${authorizeQuery(CLIENTS.webRefresh, 'openid offline_access', challenge, { prompt: 'consent' })}`;
  const { redirect } = await session.browser.flow(url, REDIRECT_URI, session.user, 8);
  let tokens = (await post(b, { grant_type: 'authorization_code', code: redirect.searchParams.get('code'), redirect_uri: REDIRECT_URI, code_verifier: verifier }, CLIENTS.webRefresh)).body;
  const first = tokens.refresh_token;
  let rotations = 0;
  for (let i = 0; i < 10; i += 1) {
    const next = await post(targets[i % 2], { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, CLIENTS.webRefresh);
    if (next.status !== 200) break;
    tokens = next.body;
    rotations += 1;
  }
  const replay = await post(b, { grant_type: 'refresh_token', refresh_token: first }, CLIENTS.webRefresh);
  const afterReplay = await post(a, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, CLIENTS.webRefresh);
  return { rotations, replayStatus: replay.status, replayError: replay.body.error, familyRevoked: afterReplay.status === 400 && afterReplay.body.error === 'invalid_grant' };
}

export async function run(base, options = {}) {
  const rows = [];
  const thresholds = [];
  if (!postgresAvailable() || !(await redisAvailable())) {
    thresholds.push(threshold('scale-out: PostgreSQL and Redis on 127.0.0.1', options.allowSkip === true, 'not reachable: scenario skipped'));
    return { scenario: 'scale-out', rows, thresholds };
  }
  const fixture = { ...base.fixture, users: base.fixture.users.slice(0, options.users ?? 16) };
  const databaseUrl = freshPostgresDatabase();
  const redisUrl = await freshRedis();
  const masterKey = randomBytes(32).toString('base64');

  // Cluster 1: limits above the load; correctness and load across nodes. The nodes trust a balancer on loopback.
  const deployment = { databaseUrl, masterKey };
  const env = castellanBenchEnv({ REDIS_URL: redisUrl, TRUSTED_PROXIES: '127.0.0.1' });
  let nodes = await startCluster(fixture, databaseUrl, masterKey, env);
  try {
    let targets = await Promise.all(nodes.map((n) => prepareTarget(n, fixture, n.name)));
    const sessions = await signIn(targets[0], CLIENTS.web, SCOPE, fixture.users.length);
    const cookies = sessions.map((s) => s.cookie);
    // The periodic key reload is watched in the background while the other checks run.
    const keyReload = options.keyReloadWait === false ? undefined : await watchKeyReload(deployment, targets[1]);

    const codes = await crossNodeCodes(targets, cookies, options.crossFlows ?? 100);
    thresholds.push(threshold('scale-out: codes issued at one node are redeemed at the other', codes.failures.length === 0 && codes.ok > 0, `${codes.ok} ok, ${codes.failures.length} failed${codes.failures[0] ? `, e.g. ${codes.failures[0]}` : ''}`));

    const refresh = await crossNodeRefresh(targets, sessions[1]);
    thresholds.push(threshold('scale-out: refresh tokens rotate alternately at both nodes', refresh.rotations === 10, `${refresh.rotations} of 10 rotations`));
    thresholds.push(threshold('scale-out: a rotated refresh token replayed at the other node is refused and revokes the family', refresh.replayStatus === 400 && refresh.replayError === 'invalid_grant' && refresh.familyRevoked, JSON.stringify(refresh)));

    thresholds.push(...(await revocationChecks(targets)));
    thresholds.push(...(await concurrentRefreshChecks(targets, sessions[2], 50)));
    thresholds.push(...(await ipBlockChecks(targets, deployment)));

    const urls = targets.map((t) => t.url);
    const loadOptions = { ...options, serverPids: nodes.map((n) => n.pid) };
    const cc = { label: `client credentials over ${NODES} nodes`, target: 'castellan-postgres x2', ...(await runLoad(urls, clientCredentialsSteps(targets[0], CLIENTS.ccBasicJwt), loadOptions)) };
    const code = { label: `authorization code over ${NODES} nodes`, target: 'castellan-postgres x2', ...(await runLoad(urls, codeFlowSteps(targets[0], cookies), loadOptions)) };
    rows.push(cc, code);
    thresholds.push(...correctness(cc.label, cc), ...correctness(code.label, code));

    thresholds.push(...(keyReload ? await keyReload.done : keyReloadSkipped()));
    // Two rotations: node 1, restarted, signs with a key node 2 has never loaded.
    const rotations = [await rotateKeys(deployment), await rotateKeys(deployment)];
    const restartMs = await restartNode(nodes, 0, fixture, deployment, env);
    targets = await Promise.all(nodes.map((n) => prepareTarget(n, fixture, n.name)));
    thresholds.push(...(await sessionAfterRestartChecks(targets, sessions[0], restartMs)));
    thresholds.push(...(await newKeyAcrossNodesChecks(targets, rotations)));
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }

  // Cluster 2: a tight token limit counted in Redis; both nodes share it.
  const limit = 100;
  await freshRedis();
  nodes = await startCluster(fixture, databaseUrl, masterKey, castellanBenchEnv({ REDIS_URL: redisUrl, RATE_LIMIT_TOKEN: `${limit}/PT1H` }));
  try {
    const targets = await Promise.all(nodes.map((n) => prepareTarget(n, fixture, n.name)));
    const { row, thresholds: exact } = await checkExactLimit(targets.map((t) => t.url), `rate limit shared by ${NODES} nodes (Redis, ${limit}/h)`, limit, tokenStep(targets[0]), { targetName: 'castellan-postgres x2' });
    rows.push(row);
    thresholds.push(...exact);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
  return { scenario: 'scale-out', rows, thresholds };
}

await runStandalone(import.meta.url, run, { ownServers: true });
