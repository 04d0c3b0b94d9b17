/**
 * Every dependency fault costs a bounded wait and a clean answer: 503 temporarily_unavailable with
 * Retry-After within the timeout (plus a margin), discovery answering meanwhile, and every token
 * acknowledged before the fault still there after it. SQLite runs always; the PostgreSQL and Redis
 * cases run when TEST_DATABASE_URL / REDIS_URL name them (as in .ci/run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { startServer } from '../../../src/server/start.js';
import { authorizeUrl, browser, csrfOf, defaultParams, pathOf, REDIRECT_URI, registerClient, registerUser, submitLogin } from '../../support/browser-flow.js';
import { startFaultRig, type FaultRig, type Timed } from '../../support/fault-rig.js';
import { startTcpProxy, viaProxy, type TcpProxy } from '../../support/tcp-proxy.js';

const TIMEOUT_MS = 1_000;
/** What the bound allows beyond the timeout: scheduling, the HTTP round trip, a connect racing the statement. */
const MARGIN_MS = 1_000;
/** Discovery needs no database: it must answer at once whatever the database does. */
const DISCOVERY_MS = 300;

const postgresUrl = process.env.TEST_DATABASE_URL?.startsWith('postgres') ? process.env.TEST_DATABASE_URL : undefined;

function expectUnavailableInTime(answer: Timed): void {
  expect(answer.status).toBe(503);
  expect(answer.body.error).toBe('temporarily_unavailable');
  expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(answer.ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
}

/** A token request during the fault, and discovery asked while that request waits; the numbers go to the CI log. */
async function duringFault(rig: FaultRig, fault: string): Promise<{ token: Timed; discovery: Timed }> {
  const [token, discovery] = await Promise.all([rig.token(), sleep(100).then(() => rig.discovery())]);
  console.info(`${fault}: /token answered ${token.status} (Retry-After ${token.retryAfter}) in ${token.ms} ms, discovery ${discovery.status} in ${discovery.ms} ms`);
  return { token, discovery };
}

/** Waits for the token endpoint to answer 200 again after a fault ends (pooled connections are replaced). */
async function recovered(rig: FaultRig): Promise<Timed> {
  let last = await rig.token();
  for (let attempt = 0; attempt < 20 && last.status !== 200; attempt += 1) {
    await sleep(250);
    last = await rig.token();
  }
  return last;
}

describe('SQLite file locked by another connection (a backup, the CLI, a second node)', () => {
  let dir: string;
  let rig: FaultRig;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'castellan-lock-'));
    rig = await startFaultRig({ databaseTimeout: TIMEOUT_MS }, { databaseUrl: `sqlite:${join(dir, 'castellan.sqlite')}` });
  });
  afterAll(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('MUST answer writes 503 with Retry-After within the timeout, never block the event loop, and lose nothing acknowledged', async () => {
    const acknowledged = await rig.token();
    expect(acknowledged.status).toBe(200);
    const other = new BetterSqlite3(join(dir, 'castellan.sqlite'));
    other.exec('begin immediate');
    let lag = 0;
    const probe = setInterval(() => undefined, 10);
    try {
      // The event loop's longest stall while a write retries: a busy wait would show up here.
      const started = performance.now();
      let last = started;
      const watch = setInterval(() => {
        const now = performance.now();
        lag = Math.max(lag, now - last - 20);
        last = now;
      }, 20);
      const { token, discovery } = await duringFault(rig, 'SQLite locked');
      clearInterval(watch);
      expectUnavailableInTime(token);
      expect(discovery.status).toBe(200);
      expect(discovery.ms).toBeLessThan(DISCOVERY_MS);
      console.info(`SQLite locked: longest event-loop stall ${Math.round(lag)} ms`);
      expect(lag).toBeLessThan(100);
    } finally {
      clearInterval(probe);
      other.exec('rollback');
      other.close();
    }
    expect((await recovered(rig)).status).toBe(200);
    expect((await rig.introspect(acknowledged.body.access_token as string)).body.active).toBe(true);
  });

  it('MUST show a browser the HTML error page with 503 and Retry-After when its sign-in cannot be written, and redirect /authorize errors as temporarily_unavailable', async () => {
    const client = await registerClient(rig.ctx);
    const { user, password } = await registerUser(rig.ctx);
    const agent = browser(rig.ctx);
    const start = await agent.get(authorizeUrl(defaultParams(client))).expect(303);
    const loginPath = pathOf(start.headers.location as string);
    const page = await agent.get(loginPath).expect(200);
    const other = new BetterSqlite3(join(dir, 'castellan.sqlite'));
    other.exec('begin immediate');
    try {
      const login = await agent.post(loginPath).type('form').set('accept', 'text/html').send({ csrf: csrfOf(page.text), username: user.username, password });
      expect(login.status).toBe(503);
      expect(Number(login.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(login.headers['content-type']).toMatch(/^text\/html/);
      expect(login.text).toContain('temporarily_unavailable');
      // A new authorization needs an interaction row: the error goes back to the proven redirect_uri (RFC 6749 §4.1.2.1).
      const refused = await browser(rig.ctx).get(authorizeUrl(defaultParams(client))).expect(303);
      const location = new URL(refused.headers.location as string);
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
      expect(location.searchParams.get('error')).toBe('temporarily_unavailable');
      expect(location.searchParams.get('state')).toBe('af0ifjsldkj');
    } finally {
      other.exec('rollback');
      other.close();
    }
    // Once the lock is gone, the same sign-in goes through.
    expect((await submitLogin(agent, loginPath, user.username, password)).status).toBe(303);
  });
});

describe.skipIf(!postgresUrl)('PostgreSQL that stalls or refuses', () => {
  let proxy: TcpProxy;
  let rig: FaultRig;
  beforeAll(async () => {
    const target = new URL(postgresUrl as string);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    rig = await startFaultRig({ databaseTimeout: TIMEOUT_MS }, { openVia: (url) => viaProxy(url, proxy) });
  });
  afterEach(() => proxy.resume());
  afterAll(async () => {
    await rig.close();
    await proxy.close();
  });

  const faults: [string, () => Promise<void> | void][] = [
    ['MUST answer 503 with Retry-After within the timeout while PostgreSQL stalls, keep discovery answering, and lose nothing acknowledged', () => proxy.stall()],
    ['MUST answer 503 with Retry-After when PostgreSQL refuses connections, and recover when it is back', () => proxy.refuse()],
  ];
  it.each(faults)('%s', async (name, fault) => {
    const acknowledged = await rig.token();
    expect(acknowledged.status).toBe(200);
    await fault();
    const { token, discovery } = await duringFault(rig, name.includes('stalls') ? 'PostgreSQL stalled' : 'PostgreSQL refusing');
    expectUnavailableInTime(token);
    expect(discovery.status).toBe(200);
    expect(discovery.ms).toBeLessThan(DISCOVERY_MS);
    await proxy.resume();
    expect((await recovered(rig)).status).toBe(200);
    expect((await rig.introspect(acknowledged.body.access_token as string)).body.active).toBe(true);
  });
});

describe('start-up with the database unreachable', () => {
  it('MUST retry for DATABASE_STARTUP_WAIT, then fail with one line naming DATABASE_URL (password masked) and the cause', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://castellan:s3cret@127.0.0.1:1/castellan', DATABASE_STARTUP_WAIT: 'PT1S', LOG_LEVEL: 'silent' });
    const started = performance.now();
    const failure = await startServer(config, { handleSignals: false }).then(() => undefined, (error: unknown) => error as Error);
    const waited = performance.now() - started;
    console.info(`start-up with the database down: gave up after ${Math.round(waited)} ms: ${failure?.message}`);
    expect(failure?.message).toMatch(/^cannot open the database DATABASE_URL=postgres:\/\/castellan:\*\*\*@127\.0\.0\.1:1\/castellan: connect ECONNREFUSED 127\.0\.0\.1:1 \(still unreachable after 1 s\)$/);
    expect(failure?.message).not.toContain('s3cret');
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(4_000);
  });
});

const redisUrl = process.env.REDIS_URL;

describe.skipIf(!redisUrl)('Redis that stalls (rate-limit counters)', () => {
  const REDIS_TIMEOUT_MS = 300;
  let proxy: TcpProxy;
  let rig: FaultRig;
  beforeAll(async () => {
    const target = new URL(redisUrl as string);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    rig = await startFaultRig({ rateLimitEnabled: true, redisUrl: viaProxy(redisUrl as string, proxy), redisTimeout: REDIS_TIMEOUT_MS, rateLimitToken: { points: 1_000, duration: 60 } });
  });
  afterAll(async () => {
    await rig.close();
    await proxy.close();
  });

  it('MUST cost one timeout, then serve every request from the in-process fallback at full speed, and use Redis again once it answers', async () => {
    expect((await rig.token()).status).toBe(200);
    expect(rig.ctx.limits.store).toBe('redis');
    proxy.stall();
    const first = await rig.token();
    console.info(`Redis stalled: first /token ${first.status} in ${first.ms} ms (one REDIS_TIMEOUT), then the fallback`);
    expect(first.status).toBe(200);
    expect(first.ms).toBeLessThan(REDIS_TIMEOUT_MS + MARGIN_MS);
    // The breaker is open: no request waits for Redis any more.
    for (let i = 0; i < 5; i += 1) {
      const next = await rig.token();
      console.info(`Redis stalled, breaker open: /token ${next.status} in ${next.ms} ms`);
      expect(next.status).toBe(200);
      expect(next.ms).toBeLessThan(REDIS_TIMEOUT_MS);
    }
    expect((await rig.discovery()).ms).toBeLessThan(DISCOVERY_MS);
    await proxy.resume();
    // The background probe (every 2 s) closes the breaker; requests stay fast throughout.
    await sleep(2_500);
    const after = await rig.token();
    expect(after.status).toBe(200);
    expect(after.ms).toBeLessThan(REDIS_TIMEOUT_MS);
  });
});
