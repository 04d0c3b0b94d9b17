/**
 * `node loadtest/peer-adapters-check.mjs`: the bench's oidc-provider adapters do what the adapter
 * interface asks, so the peer rows measure a working provider. Two parts, for each adapter
 * (CHECK_ADAPTERS=memory,redis,sqlite; default all, Redis skipped when unreachable):
 *  - the interface directly (Redis and SQLite): upsert/find, consume, findByUid, findByUserCode,
 *    destroy, revokeByGrantId (only the grant's entries go), expiry;
 *  - through oidc-provider over HTTP: the code flow with offline_access, introspection of the access
 *    token, refresh rotation, reuse of a rotated refresh token (oidc-provider then revokes the grant
 *    through revokeByGrantId: the new access and refresh tokens must be dead), a code redeemed twice.
 * Exits 1 on any failure. A few dozen requests: no load.
 */
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { tempDir } from './lib/children.mjs';
import { basicAuthorization, formBody, FORM, pkcePair } from './lib/auth.mjs';
import { CLIENTS, makeFixture, REDIRECT_URI } from './lib/fixtures.mjs';
import { redisAvailable } from './lib/redis.mjs';
import { createRedisAdapter, flushPrefix } from './lib/redis-adapter.mjs';
import { createSqliteAdapter } from './lib/sqlite-adapter.mjs';
import { BENCH_REDIS_URL, startOidcProvider } from './lib/servers.mjs';
import { authorizeQuery, prepareTarget, signIn } from './lib/target.mjs';

const wanted = (process.env.CHECK_ADAPTERS ?? 'memory,redis,sqlite').split(',').map((s) => s.trim()).filter(Boolean);
const results = [];
const check = (adapter, name, ok, detail = '') => {
  results.push({ adapter, name, ok: Boolean(ok) });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${adapter}: ${name}${detail ? `  (${detail})` : ''}`);
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function contract(adapter, Adapter) {
  const grantId = `grant-${randomBytes(4).toString('hex')}`;
  const other = `grant-${randomBytes(4).toString('hex')}`;
  const codes = new Adapter('AuthorizationCode');
  const access = new Adapter('AccessToken');
  const sessions = new Adapter('Session');
  const devices = new Adapter('DeviceCode');
  await codes.upsert('c1', { jti: 'c1', kind: 'AuthorizationCode', grantId, exp: 0 }, 60);
  await access.upsert('a1', { jti: 'a1', kind: 'AccessToken', grantId }, 60);
  await access.upsert('a2', { jti: 'a2', kind: 'AccessToken', grantId: other }, 60);
  await sessions.upsert('s1', { jti: 's1', kind: 'Session', uid: 'u1' }, 60);
  await devices.upsert('d1', { jti: 'd1', kind: 'DeviceCode', userCode: 'ABCD-EFGH', grantId }, 60);
  check(adapter, 'find returns the payload', (await codes.find('c1'))?.grantId === grantId);
  check(adapter, 'find of an unknown id is undefined', (await codes.find('nope')) === undefined);
  check(adapter, 'entries are per model', (await access.find('c1')) === undefined);
  check(adapter, 'not consumed before consume', !(await codes.find('c1')).consumed);
  await codes.consume('c1');
  const consumed = (await codes.find('c1')).consumed;
  check(adapter, 'consume sets consumed (epoch seconds)', typeof consumed === 'number' && Math.abs(consumed - Date.now() / 1000) < 5, String(consumed));
  check(adapter, 'findByUid', (await sessions.findByUid('u1'))?.jti === 's1');
  check(adapter, 'findByUserCode', (await devices.findByUserCode('ABCD-EFGH'))?.jti === 'd1');
  await sessions.destroy('s1');
  check(adapter, 'destroy', (await sessions.find('s1')) === undefined && (await sessions.findByUid('u1')) === undefined);
  await access.revokeByGrantId(grantId);
  check(adapter, 'revokeByGrantId removes the grant\'s entries', (await codes.find('c1')) === undefined && (await access.find('a1')) === undefined && (await devices.find('d1')) === undefined);
  check(adapter, 'revokeByGrantId keeps other grants', (await access.find('a2'))?.jti === 'a2');
  await access.upsert('short', { jti: 'short', kind: 'AccessToken' }, 1);
  await sleep(2100);
  check(adapter, 'an expired entry is not found', (await access.find('short')) === undefined);
}

async function token(target, clientId, params) {
  const response = await fetch(target.url + target.paths.token, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basicAuthorization(clientId, target.fixture.secrets[clientId]) },
    body: formBody(params),
  });
  return { status: response.status, body: await response.json() };
}

async function introspect(target, clientId, tokenValue) {
  const response = await fetch(target.url + target.paths.introspection, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basicAuthorization(clientId, target.fixture.secrets[clientId]) },
    body: formBody({ token: tokenValue }),
  });
  return (await response.json()).active === true;
}

async function flows(adapter, fixture) {
  const server = await startOidcProvider({ fixture, adapter });
  try {
    const target = await prepareTarget(server, fixture, server.name);
    const client = CLIENTS.webRefresh;
    const scope = 'openid offline_access';
    const [session] = await signIn(target, client, scope, 1, { prompt: 'consent' });
    const { challenge, verifier } = pkcePair();
    const { redirect } = await session.browser.flow(`${target.url}${target.paths.authorization}?${authorizeQuery(client, scope, challenge, { prompt: 'consent' })}`, REDIRECT_URI, session.user);
    const code = redirect.searchParams.get('code');
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    const first = await token(target, client, exchange);
    check(adapter, 'code exchange', first.status === 200 && first.body.access_token && first.body.refresh_token && first.body.id_token, `${first.status}`);
    check(adapter, 'introspection of the access token: active', await introspect(target, client, first.body.access_token));
    const again = await token(target, client, exchange);
    check(adapter, 'a code redeemed twice is refused', again.status === 400 && again.body.error === 'invalid_grant', `${again.status} ${again.body.error}`);
    check(adapter, 'the access token of a code redeemed twice is revoked', !(await introspect(target, client, first.body.access_token)));

    const second = await (async () => {
      const pair = pkcePair();
      const hop = await session.browser.flow(`${target.url}${target.paths.authorization}?${authorizeQuery(client, scope, pair.challenge, { prompt: 'consent' })}`, REDIRECT_URI, session.user);
      return token(target, client, { grant_type: 'authorization_code', code: hop.redirect.searchParams.get('code'), redirect_uri: REDIRECT_URI, code_verifier: pair.verifier });
    })();
    const rt1 = second.body.refresh_token;
    const rotated = await token(target, client, { grant_type: 'refresh_token', refresh_token: rt1 });
    check(adapter, 'refresh: rotated', rotated.status === 200 && rotated.body.refresh_token && rotated.body.refresh_token !== rt1, `${rotated.status}`);
    check(adapter, 'refresh: the new access token is active', await introspect(target, client, rotated.body.access_token));
    const rotatedAgain = await token(target, client, { grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token });
    check(adapter, 'refresh: the rotated token refreshes again', rotatedAgain.status === 200, `${rotatedAgain.status}`);
    const reuse = await token(target, client, { grant_type: 'refresh_token', refresh_token: rt1 });
    check(adapter, 'refresh: reuse of a rotated token is refused', reuse.status === 400 && reuse.body.error === 'invalid_grant', `${reuse.status} ${reuse.body.error}`);
    check(adapter, 'refresh: after the reuse the grant\'s access token is revoked', !(await introspect(target, client, rotatedAgain.body.access_token)));
    const after = await token(target, client, { grant_type: 'refresh_token', refresh_token: rotatedAgain.body.refresh_token });
    check(adapter, 'refresh: after the reuse the grant\'s latest refresh token is revoked', after.status === 400, `${after.status} ${after.body.error}`);
  } finally {
    await server.stop();
  }
}

const fixture = makeFixture();
for (const adapter of wanted) {
  if (adapter === 'redis') {
    if (!(await redisAvailable(BENCH_REDIS_URL))) {
      console.log(`SKIP  redis: not reachable at ${BENCH_REDIS_URL}`);
      continue;
    }
    const prefix = `castellan-bench:adapter-check:${process.pid}-${randomBytes(4).toString('hex')}:`;
    const { Adapter, client } = createRedisAdapter({ url: BENCH_REDIS_URL, prefix });
    try {
      await contract('redis', Adapter);
    } finally {
      await client.quit();
      await flushPrefix(BENCH_REDIS_URL, prefix);
    }
  }
  if (adapter === 'sqlite') {
    const { Adapter, db } = createSqliteAdapter({ file: join(tempDir('adapter-check-'), 'check.sqlite') });
    try {
      check('sqlite', 'journal_mode=WAL, synchronous=NORMAL', db.pragma('journal_mode', { simple: true }) === 'wal' && db.pragma('synchronous', { simple: true }) === 1);
      await contract('sqlite', Adapter);
    } finally {
      db.close();
    }
  }
  await flows(adapter, fixture);
}
const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
