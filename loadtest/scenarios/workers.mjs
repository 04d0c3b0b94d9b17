/**
 * Workers: one Castellan node with WORKERS=2 on SQLite (one database file in WAL mode shared by
 * both workers; the primary holds the rate-limit counters and runs the scheduled jobs). Checks:
 * - a rate limit (userinfo, 50 per hour per user) admits exactly 50 of 200 concurrent requests,
 *   though the requests are spread over both workers; the login throttle, too, checks no more
 *   wrong passwords than one process would;
 * - the test control reset, answered by one worker, clears the counters the primary holds, so the
 *   login throttle checks the same 6 of 20 wrong passwords again;
 * - both workers answer (each worker's CPU time grows under load; worker ids read from the log);
 * - the jobs that must run once per node run in the primary only: one "scheduled jobs started" line,
 *   and every threat detection pass (THREAT_DETECTION_INTERVAL=PT1S here) logged by the primary;
 * - kill -9 of one worker under load: the other keeps answering, a replacement starts and serves,
 *   and every token acknowledged with a 200 (before, during and after) introspects as active;
 * - SIGHUP under load: a rolling restart replaces both workers without one failed request;
 * - SIGTERM: the primary drains both workers and exits 0.
 * Starts its own server; loopback only, a few seconds of load.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { basicAuthorization, formBody, FORM, pkcePair } from '../lib/auth.mjs';
import { Browser, parseForm } from '../lib/browser.mjs';
import { CLIENTS } from '../lib/fixtures.mjs';
import { castellanBenchEnv, startCastellan } from '../lib/servers.mjs';
import { authorizeQuery, authorizeWithSession, prepareTarget, signIn } from '../lib/target.mjs';
import { threshold } from '../lib/thresholds.mjs';
import { runStandalone } from '../lib/standalone.mjs';
import { SCOPE } from './authorization-code.mjs';
import { checkExactLimit } from './rate-limit.mjs';

const WORKERS = 2;
const USERINFO_LIMIT = 50;
/** Concurrent clients of the token endpoint while a worker is killed or the workers are rolled. */
const CONCURRENCY = 16;
const KILL_AFTER_MS = 1_500;

/** The JSON lines of the node's log (primary and workers write to the same stdout). */
function logLines(server) {
  return readFileSync(server.logFile, 'utf8').split('\n').filter((line) => line.startsWith('{')).map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      return {};
    }
  });
}

async function waitForLog(server, predicate, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = logLines(server).filter(predicate);
    if (found.length > 0) return found;
    await sleep(50);
  }
  throw new Error(`${what} not logged within ${timeoutMs} ms; see ${server.logFile}`);
}

/** User plus system CPU time of a process, in clock ticks (Linux); undefined once it is gone. */
function cpuTicks(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** The workers the primary started, in order: [{ worker, pid }]. */
const startedWorkers = (server) => logLines(server).filter((l) => l.msg === 'worker started').map(({ worker, pid }) => ({ worker, pid }));

/**
 * Bounded: a connection can be lost inside the primary when the worker it was being handed to is
 * killed (node:cluster round-robin keeps no record of it), and its client would wait forever.
 */
const REQUEST_TIMEOUT_MS = 10_000;

function post(url, path, headers, body, agent) {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 10 s'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

/** CONCURRENCY clients asking for client credentials tokens until stopped; every 200's token is kept. */
function tokenLoad(target, agent) {
  const headers = { 'content-type': FORM, authorization: basicAuthorization(CLIENTS.ccOpaque, target.fixture.secrets[CLIENTS.ccOpaque]) };
  const body = formBody({ grant_type: 'client_credentials', scope: 'api' });
  const acknowledged = [];
  const refused = [];
  const errors = [];
  let stopped = false;
  const loops = Array.from({ length: CONCURRENCY }, async () => {
    while (!stopped) {
      const sentAt = Date.now();
      try {
        const { status, body: text } = await post(target.url, target.paths.token, headers, body, agent);
        if (status === 200) acknowledged.push({ token: JSON.parse(text).access_token, at: Date.now() });
        else refused.push({ status, at: Date.now() });
      } catch (error) {
        // Dated when sent: a request in flight at the kill that times out later was still in flight at the kill.
        errors.push({ code: error.code ?? error.message, at: error.code === 'TIMEOUT' ? sentAt : Date.now() });
      }
    }
  });
  return {
    acknowledged, refused, errors,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Introspects every token (CONCURRENCY at a time); returns how many are not active. */
async function inactiveTokens(target, tokens) {
  const headers = { 'content-type': FORM, authorization: basicAuthorization(CLIENTS.ccOpaque, target.fixture.secrets[CLIENTS.ccOpaque]) };
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const queue = [...tokens];
  const inactive = [];
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let token = queue.pop(); token; token = queue.pop()) {
      const { status, body } = await post(target.url, target.paths.introspection, headers, formBody({ token }), agent);
      if (status !== 200 || JSON.parse(body).active !== true) inactive.push({ token: token.slice(0, 8), status, body: body.slice(0, 120) });
    }
  }));
  agent.destroy();
  return inactive;
}

/** Requests on fresh connections (no keep-alive), so node:cluster spreads them over every worker. */
async function freshConnectionBurst(target, count) {
  const headers = { 'content-type': FORM, authorization: basicAuthorization(CLIENTS.ccOpaque, target.fixture.secrets[CLIENTS.ccOpaque]) };
  const body = formBody({ grant_type: 'client_credentials', scope: 'api' });
  const statuses = [];
  const queue = Array.from({ length: count }, (_, i) => i);
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (queue.pop() !== undefined) statuses.push((await post(target.url, target.paths.token, headers, body, false)).status);
  }));
  return statuses.filter((status) => status === 200).length;
}

/**
 * 20 concurrent wrong passwords for one username from one address, over both workers. The throttle
 * allows LOGIN_MAX_ATTEMPTS_PER_USER_IP (5) failures, then one attempt at a time through its gate:
 * exactly 6 are checked (401) and 14 refused (429), as in one process. Counters kept per worker
 * would let each worker check 6.
 */
async function loginThrottleCheck(target, user) {
  const browser = new Browser();
  const { challenge } = pkcePair();
  let url = `${target.url}${target.paths.authorization}?${authorizeQuery(CLIENTS.web, SCOPE, challenge)}`;
  let form;
  for (let hop = 0; hop < 5 && !form; hop += 1) {
    const response = await browser.request(url);
    const location = response.headers.get('location');
    if (location) url = new URL(location, url).toString();
    else form = parseForm(await response.text(), url);
  }
  if (!form) throw new Error('no login page');
  const fields = Object.fromEntries(form.fields.map((field) => [field.name, field.value]));
  const body = formBody({ ...fields, username: user.username, password: `wrong-${user.password}` });
  const statuses = await Promise.all(Array.from({ length: 20 }, () => browser.request(form.action, { method: 'POST', body }).then(async (response) => {
    await response.arrayBuffer();
    return response.status;
  })));
  const checked = statuses.filter((status) => status === 401).length;
  const refused = statuses.filter((status) => status === 429).length;
  return threshold('workers: login throttle across 2 workers: of 20 concurrent wrong passwords, 5 + 1 through the gate are checked, 14 refused', checked === 6 && refused === 14, `${checked} × 401, ${refused} × 429, others ${JSON.stringify(statuses.filter((status) => status !== 401 && status !== 429))}`);
}

const ADMIN_TOKEN = `workers-scenario-admin-${'x'.repeat(24)}`;

/**
 * POST /admin/test/reset on a fresh connection (whichever worker takes it asks the primary over IPC
 * to forget its counters), then the same 20 wrong passwords as loginThrottleCheck: with the
 * primary's counters gone, exactly 6 are checked again; left behind, all 20 would be refused.
 */
async function resetForgetsPrimaryCounters(target, user) {
  const { status, body } = await post(target.url, '/admin/test/reset', { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, '{}', false);
  const answer = status === 200 ? JSON.parse(body) : {};
  const counters = answer.rate_limit_counters ?? {};
  return [
    threshold('workers: the test control reset clears the counters held in the primary', status === 200 && counters.stores?.join() === 'cluster' && counters.cleared > 0, `${status} ${JSON.stringify(counters)}`),
    { ...(await loginThrottleCheck(target, user)), name: 'workers: after the reset, the login throttle starts afresh across 2 workers (5 + 1 checked of 20, 14 refused)' },
  ];
}

export async function run(base) {
  const fixture = { ...base.fixture, users: base.fixture.users.slice(0, 2) };
  const rows = [];
  const thresholds = [];
  const env = castellanBenchEnv({ RATE_LIMIT_USERINFO: `${USERINFO_LIMIT}/PT1H`, LOG_LEVEL: 'debug', THREAT_DETECTION_INTERVAL: 'PT1S', TEST_CONTROL_ENABLED: 'true', ADMIN_TOKEN });
  const server = await startCastellan({ fixture, db: 'sqlite', workers: WORKERS, env, name: 'castellan-workers' });
  let stopped;
  try {
    await waitForLog(server, (l) => l.role === 'primary' && /^Castellan listening/.test(l.msg ?? ''), 'the primary\'s listening line');
    const target = await prepareTarget(server, fixture, `castellan-sqlite-${WORKERS}-workers`);
    const initial = startedWorkers(server);
    thresholds.push(threshold(`workers: the primary started ${WORKERS} workers`, initial.length === WORKERS && initial.every((w) => w.pid !== server.pid), JSON.stringify(initial)));
    const listeningIds = new Set(logLines(server).filter((l) => l.worker !== undefined && l.role === undefined && /^Castellan listening/.test(l.msg ?? '')).map((l) => l.worker));
    thresholds.push(threshold('workers: each worker logs with its own worker id', listeningIds.size === WORKERS, `listening lines from workers ${[...listeningIds].join(', ')}`));

    // (a) One limit, two processes: counted in the primary, so exactly the limit passes.
    const cpuBefore = initial.map((w) => cpuTicks(w.pid));
    const [session] = await signIn(target, CLIENTS.web, SCOPE, 1);
    const { access_token: accessToken } = await authorizeWithSession(target, session, CLIENTS.web, SCOPE);
    const exact = await checkExactLimit(target.url, `workers: userinfo limit (${USERINFO_LIMIT}/h per user) across ${WORKERS} workers`, USERINFO_LIMIT, {
      name: 'userinfo', method: 'GET', path: target.paths.userinfo, headers: { authorization: `Bearer ${accessToken}` }, allowed: [200],
    }, { targetName: target.name });
    rows.push(exact.row);
    thresholds.push(...exact.thresholds);
    thresholds.push(await loginThrottleCheck(target, fixture.users[1]));
    // (c) The test control reset, answered by either worker, forgets the counters the primary holds.
    thresholds.push(...(await resetForgetsPrimaryCounters(target, fixture.users[1])));

    // (d) kill -9 of one worker under load.
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const load = tokenLoad(target, agent);
    await sleep(KILL_AFTER_MS);
    const cpuUnderLoad = initial.map((w) => cpuTicks(w.pid));
    const [victim, survivor] = initial;
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    const [replacement] = await waitForLog(server, (l) => l.msg === 'worker started' && !initial.some((w) => w.worker === l.worker), 'a replacement worker');
    await waitForLog(server, (l) => l.worker === replacement.worker && l.role === undefined && /^Castellan listening/.test(l.msg ?? ''), 'the replacement listening');
    const replacedAfterMs = Date.now() - killedAt;
    await sleep(500);
    await load.stop();
    agent.destroy();
    const survivorAnswered = load.acknowledged.filter((a) => a.at > killedAt && a.at < killedAt + replacedAfterMs).length;
    const replacementCpu = cpuTicks(replacement.pid);
    const burst = await freshConnectionBurst(target, 200);
    const replacementServed = (cpuTicks(replacement.pid) ?? 0) - (replacementCpu ?? 0);
    const inactive = await inactiveTokens(target, load.acknowledged.map((a) => a.token));
    const lateErrors = load.errors.filter((e) => e.at > killedAt + 2_000);
    const killRow = {
      label: `workers: kill -9 of worker ${victim.worker} under load`, target: target.name,
      acknowledged: load.acknowledged.length, errors: load.errors.length, refused: load.refused.length,
      survivorAnsweredWhileAlone: survivorAnswered, replacedAfterMs, replacementPid: replacement.pid, lost: inactive.length,
    };
    rows.push(killRow);
    console.log(`workers: kill -9 -> ${JSON.stringify(killRow)}; errors: ${JSON.stringify([...new Set(load.errors.map((e) => e.code))])}`);
    thresholds.push(
      threshold('workers: both workers answered under load (CPU time of each grew)', initial.every((w, i) => cpuUnderLoad[i] > cpuBefore[i]), `ticks ${JSON.stringify(cpuBefore)} -> ${JSON.stringify(cpuUnderLoad)}`),
      threshold('workers: after kill -9 the other worker kept answering', survivorAnswered > 0 && cpuTicks(survivor.pid) !== undefined, `${survivorAnswered} tokens issued between the kill and the replacement`),
      threshold('workers: a replacement worker (new pid) started and listens', replacement.pid !== victim.pid && replacement.pid !== survivor.pid, `worker ${replacement.worker}, pid ${replacement.pid}, after ${replacedAfterMs} ms`),
      threshold('workers: the replacement serves new connections', burst === 200 && replacementServed > 0, `${burst}/200 answered 200, replacement CPU +${replacementServed} ticks`),
      threshold('workers: only requests in flight at the kill failed; no error answers', lateErrors.length === 0 && load.refused.length === 0 && load.errors.length <= CONCURRENCY, `${load.errors.length} connection errors (${lateErrors.length} later than 2 s after the kill), ${load.refused.length} non-200 answers`),
      threshold('workers: no acknowledged token lost (every 200\'s token introspects active)', inactive.length === 0 && load.acknowledged.length > 0, `${load.acknowledged.length - inactive.length}/${load.acknowledged.length} active${inactive[0] ? `, e.g. ${JSON.stringify(inactive[0])}` : ''}`),
    );

    // SIGHUP: a rolling restart under load refuses nothing.
    const rollAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const rollLoad = tokenLoad(target, rollAgent);
    await sleep(300);
    process.kill(server.pid, 'SIGHUP');
    await waitForLog(server, (l) => l.msg === 'rolling restart finished', 'the end of the rolling restart', 60_000);
    await sleep(300);
    await rollLoad.stop();
    rollAgent.destroy();
    const pairs = logLines(server).filter((l) => l.msg === 'worker replaced').map((l) => `${l.replaced} by ${l.by}`);
    const replaced = pairs.length;
    const rollRow = { label: 'workers: rolling restart (SIGHUP) under load', target: target.name, acknowledged: rollLoad.acknowledged.length, errors: rollLoad.errors.length, refused: rollLoad.refused.length, replaced: pairs.join(', ') };
    rows.push(rollRow);
    console.log(`workers: SIGHUP -> ${JSON.stringify(rollRow)}`);
    thresholds.push(threshold('workers: SIGHUP replaced every worker one at a time without a failed request', replaced === WORKERS && rollLoad.errors.length === 0 && rollLoad.refused.length === 0 && rollLoad.acknowledged.length > 0,
      `${replaced} replaced, ${rollLoad.acknowledged.length} tokens, ${rollLoad.errors.length} errors ${JSON.stringify([...new Set(rollLoad.errors.map((e) => e.code))])}, ${rollLoad.refused.length} non-200; worker ${pairs.join(', worker ')}`));

    // (b) Jobs ran in the primary only.
    const lines = logLines(server);
    const jobStarts = lines.filter((l) => l.msg === 'scheduled jobs started');
    const passes = lines.filter((l) => l.msg === 'threat detection pass');
    thresholds.push(
      threshold('workers: the scheduled jobs started once, in the primary', jobStarts.length === 1 && jobStarts[0].role === 'primary' && jobStarts[0].pid === server.pid, `${jobStarts.length} start lines from pids ${jobStarts.map((l) => l.pid).join(', ')}`),
      threshold('workers: every threat detection pass ran in the primary', passes.length >= 3 && passes.every((l) => l.pid === server.pid), `${passes.length} passes from pids ${[...new Set(passes.map((l) => l.pid))].join(', ')}`),
    );
  } finally {
    stopped = await server.stop();
  }
  // SIGTERM: every worker drained, then the primary stopped.
  const lines = logLines(server);
  const alive = startedWorkers(server).filter((w) => cpuTicks(w.pid) !== undefined);
  thresholds.push(threshold('workers: SIGTERM drains every worker and the primary exits 0', stopped.code === 0 && alive.length === 0 && lines.some((l) => l.role === 'primary' && l.msg === 'Castellan stopped'), `exit ${JSON.stringify(stopped)}, ${alive.length} workers still running`));
  return { scenario: 'workers', rows, thresholds };
}

await runStandalone(import.meta.url, run, { ownServers: true });
