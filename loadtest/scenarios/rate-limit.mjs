/**
 * Rate limits hold exactly at their configured values under concurrency: a Castellan with small
 * limits (one-hour windows, so no window rolls over during the test) receives several times its
 * limit from 32 concurrent connections; exactly `limit` requests must pass and every other one must
 * be a 429 with Retry-After, each answer carrying X-RateLimit-Limit. Checked for the token endpoint
 * (per client address and client_id), /authorize (per address), userinfo (per user) and
 * introspection (per client) when it exists. Starts its own servers.
 * @spec https://www.rfc-editor.org/rfc/rfc6585#section-4
 */
import { basicAuthorization, formBody, FORM, pkcePair } from '../lib/auth.mjs';
import { CLIENTS } from '../lib/fixtures.mjs';
import { runLoad } from '../lib/runner.mjs';
import { castellanBenchEnv, startCastellan } from '../lib/servers.mjs';
import { authorizeQuery, authorizeWithSession, clientCredentialsTokens, prepareTarget, signIn } from '../lib/target.mjs';
import { threshold } from '../lib/thresholds.mjs';
import { runStandalone } from '../lib/standalone.mjs';
import { SCOPE } from './authorization-code.mjs';

export const LIMITS = { token: 100, authorization: 60, userinfo: 80, introspection: 70 };
const WINDOW = 'PT1H';
const OVERSUBSCRIBE = 4;

/** Runs `limit * OVERSUBSCRIBE` requests of one step; returns the row and the exactness checks. */
export async function checkExactLimit(url, label, limit, step, options = {}) {
  const amount = limit * OVERSUBSCRIBE;
  const withHeaders = {
    ...step,
    expect: [...step.allowed, 429],
    check: (status, body, context, header) => {
      if (header('x-ratelimit-limit') !== String(limit)) return false;
      if (status === 429) return Boolean(header('retry-after')) && JSON.parse(body).error === 'too_many_requests';
      return step.check ? step.check(status, body, context, header) : true;
    },
  };
  const row = { label, target: options.targetName ?? 'castellan', ...(await runLoad(url, [withHeaders], { connections: options.connections ?? 32, amount, warmup: 0 })) };
  const count = (statuses) => Object.entries(row.statuses).filter(([key]) => statuses.some((s) => key.endsWith(`:${s}`))).reduce((sum, [, n]) => sum + n, 0);
  const passed = count(step.allowed);
  const refused = count([429]);
  row.passed = passed;
  row.refused = refused;
  return {
    row,
    thresholds: [
      threshold(`${label}: exactly ${limit} of ${amount} concurrent requests pass`, passed === limit, `${passed} passed`),
      threshold(`${label}: the other ${amount - limit} are 429`, refused === amount - limit, `${refused} refused`),
      threshold(`${label}: every answer carries X-RateLimit-Limit (and Retry-After on 429), no errors`, row.unexpected === 0 && row.errors === 0, `${row.unexpected} unexpected, ${row.errors} errors${row.samples[0] ? `, e.g. ${row.samples[0]}` : ''}`),
    ],
  };
}

export function tokenStep(target, clientId = CLIENTS.rateLimited) {
  return {
    name: 'token', method: 'POST', path: target.paths.token,
    headers: { 'content-type': FORM, authorization: basicAuthorization(clientId, target.fixture.secrets[clientId]) },
    body: formBody({ grant_type: 'client_credentials', scope: 'api' }),
    allowed: [200],
  };
}

function authorizeStep(target) {
  return {
    name: 'authorize', method: 'GET',
    setup: () => ({ path: `${target.paths.authorization}?${authorizeQuery(CLIENTS.web, SCOPE, pkcePair().challenge)}` }),
    // Without a session every allowed request is sent on to the login page.
    allowed: [302, 303],
  };
}

const limitsEnv = (overrides) => castellanBenchEnv({
  RATE_LIMIT_TOKEN: `${LIMITS.token}/${WINDOW}`,
  RATE_LIMIT_USERINFO: `${LIMITS.userinfo}/${WINDOW}`,
  RATE_LIMIT_INTROSPECTION: `${LIMITS.introspection}/${WINDOW}`,
  ...overrides,
});

export async function run(base, options = {}) {
  const fixture = { ...base.fixture, users: base.fixture.users.slice(0, 2) };
  const db = options.db ?? 'sqlite';
  const rows = [];
  const thresholds = [];
  const collect = ({ row, thresholds: t }) => {
    rows.push(row);
    thresholds.push(...t);
  };

  // Server 1: tight token, userinfo and introspection limits; /authorize left open for the set-up.
  const first = await startCastellan({ fixture, db, env: limitsEnv() });
  try {
    const target = await prepareTarget(first, fixture, `castellan-${db}`);
    const [session] = await signIn(target, CLIENTS.web, SCOPE, 1);
    const { access_token: accessToken } = await authorizeWithSession(target, session, CLIENTS.web, SCOPE);
    const introspectable = target.paths.introspection ? (await clientCredentialsTokens(target, CLIENTS.ccOpaque, 1))[0] : undefined;
    const opts = { targetName: target.name };
    collect(await checkExactLimit(target.url, `rate limit: token endpoint (${LIMITS.token}/h per client)`, LIMITS.token, tokenStep(target), opts));
    collect(await checkExactLimit(target.url, `rate limit: userinfo (${LIMITS.userinfo}/h per user)`, LIMITS.userinfo, {
      name: 'userinfo', method: 'GET', path: target.paths.userinfo, headers: { authorization: `Bearer ${accessToken}` }, allowed: [200],
    }, opts));
    if (introspectable) {
      collect(await checkExactLimit(target.url, `rate limit: introspection (${LIMITS.introspection}/h per client)`, LIMITS.introspection, {
        name: 'introspect', method: 'POST', path: target.paths.introspection,
        headers: { 'content-type': FORM, authorization: basicAuthorization(CLIENTS.rateLimited, fixture.secrets[CLIENTS.rateLimited]) },
        body: formBody({ token: introspectable }), allowed: [200],
      }, opts));
    } else {
      rows.push({ label: 'rate limit: introspection', target: target.name, available: false });
    }
  } finally {
    await first.stop();
  }

  // Server 2: a tight /authorize limit, counted per client address.
  const second = await startCastellan({ fixture, db, env: limitsEnv({ RATE_LIMIT_AUTHORIZATION: `${LIMITS.authorization}/${WINDOW}` }) });
  try {
    const target = await prepareTarget(second, fixture, `castellan-${db}`);
    collect(await checkExactLimit(target.url, `rate limit: /authorize (${LIMITS.authorization}/h per address)`, LIMITS.authorization, authorizeStep(target), { targetName: target.name }));
  } finally {
    await second.stop();
  }
  return { scenario: 'rate-limit', rows, thresholds };
}

await runStandalone(import.meta.url, run, { ownServers: true });
