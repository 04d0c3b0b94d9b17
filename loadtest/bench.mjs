/**
 * `npm run bench`: Castellan and oidc-provider measured in one run on this machine with the same
 * flows, clients, concurrency and keep-alive connections, RS256 with 2048-bit keys. The targets:
 * oidc-provider on its in-memory adapter, on Redis and on SQLite (lib/redis-adapter.mjs,
 * lib/sqlite-adapter.mjs), and Castellan on SQLite and on PostgreSQL, each with one worker and with
 * `WORKERS=auto`. Each server runs in its own child process (with its workers); the load generator
 * runs here. Prints every row, the ratios to each peer (throughput and CPU per request), auto workers
 * against one, and the issue's targets (met, or MISSED by how much); profiles Castellan with
 * --cpu-prof; writes loadtest/RESULTS.md (loadtest/RESULTS-partial.md when a filter is set).
 *
 * Environment: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, 3), BENCH_CONNECTIONS (32),
 * BENCH_PROFILE=0 to skip profiling, BENCH_QUIET_WAIT (s, 300) / BENCH_DISTURBED (% of a core, 25) /
 * BENCH_RETRIES (2) for measuring on a shared machine, BENCH_POSTGRES=0 to skip PostgreSQL,
 * BENCH_REDIS_URL (redis://127.0.0.1:6379), BENCH_FLOWS (cc,dpop,code,introspection,device,exchange,halfPeak)
 * and BENCH_TARGETS (target names) to run a part only, BENCH_STRICT=1 to exit non-zero when a target
 * is missed (correctness failures always do).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ROOT, tempDir } from './lib/children.mjs';
import { makeFixture } from './lib/fixtures.mjs';
import { profileMarkdown, profileUnderLoad, summariseProfile } from './lib/profile.mjs';
import { cpuMsPerRequest, formatNumber, machineInfo, markdownTable, printTable, resultsMarkdown } from './lib/report.mjs';
import { measureQuietly, processTree, QUIET, waitForQuiet } from './lib/cpu.mjs';
import { parallelCpuInflation } from './lib/parallel-cpu.mjs';
import { redisAvailable } from './lib/redis.mjs';
import { DEFAULTS } from './lib/runner.mjs';
import { BENCH_REDIS_URL, castellanBenchEnv, castellanEntry, freshPostgresDatabase, PG_BENCH_DB, postgresAvailable, startCastellan, startOidcProvider } from './lib/servers.mjs';
import { prepareTarget } from './lib/target.mjs';
import { FLOORS, perCoreMinimum } from './lib/thresholds.mjs';
import * as authorizationCode from './scenarios/authorization-code.mjs';
import * as clientCredentials from './scenarios/client-credentials.mjs';
import * as deviceCode from './scenarios/device-code.mjs';
import * as tokenExchange from './scenarios/token-exchange.mjs';
import * as introspection from './scenarios/introspection.mjs';
import * as tokenLatency from './scenarios/token-latency.mjs';

const options = { duration: DEFAULTS.duration, warmup: DEFAULTS.warmup, connections: DEFAULTS.connections, floors: false };
const startedAt = new Date();
const machine = machineInfo();
const parallelism = availableParallelism();
castellanEntry();
const fixture = makeFixture();

const log = (line = '') => console.log(line);
const fmt = (n, digits = 0) => formatNumber(n, digits, 'n/a');

/** The flows, in the order they are measured; BENCH_FLOWS names a subset. */
const FLOWS = ['cc', 'dpop', 'code', 'introspection', 'device', 'exchange', 'halfPeak'];
/**
 * The targets. Peers: oidc-provider on each storage adapter. Castellan: SQLite and PostgreSQL, one
 * worker (WORKERS not passed) and `WORKERS=auto` (one worker per core, the other engineer's
 * `castellan start --workers`; a build without it ignores the variable, which the bench reports).
 */
const TARGETS = [
  { name: 'oidc-provider', peer: true, adapter: 'memory', what: 'oidc-provider on an unbounded in-memory Map adapter (lib/map-adapter.mjs; its docs call in-memory storage development-only)' },
  { name: 'oidc-provider-redis', peer: true, adapter: 'redis', what: 'oidc-provider on Redis (lib/redis-adapter.mjs, after its example Redis adapter)' },
  { name: 'oidc-provider-sqlite', peer: true, adapter: 'sqlite', what: 'oidc-provider on SQLite (lib/sqlite-adapter.mjs, better-sqlite3, WAL, synchronous=NORMAL)' },
  { name: 'castellan-sqlite', db: 'sqlite', workers: 1, what: 'Castellan on SQLite, one worker' },
  { name: 'castellan-sqlite-auto', db: 'sqlite', workers: 'auto', single: 'castellan-sqlite', what: 'Castellan on SQLite, WORKERS=auto' },
  { name: 'castellan-postgres', db: 'postgres', workers: 1, what: 'Castellan on PostgreSQL, one worker' },
  { name: 'castellan-postgres-auto', db: 'postgres', workers: 'auto', single: 'castellan-postgres', what: 'Castellan on PostgreSQL, WORKERS=auto' },
];

function listSetting(name, known) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    console.error(`${name}: unknown ${unknown.join(', ')} (known: ${known.join(', ')})`);
    process.exit(2);
  }
  return new Set(names);
}
const flowFilter = listSetting('BENCH_FLOWS', FLOWS);
const targetFilter = listSetting('BENCH_TARGETS', TARGETS.map((t) => t.name));
const partial = Boolean(flowFilter || targetFilter);
const flowOn = (flow) => !flowFilter || flowFilter.has(flow);
const resultsFile = partial ? 'loadtest/RESULTS-partial.md' : 'loadtest/RESULTS.md';

log(`Castellan bench: ${machine.cores} x ${machine.cpu} (available parallelism ${parallelism}), ${machine.memoryGiB} GiB, node ${machine.node}; load average at start ${machine.loadavg}`);
log(`${options.connections} connections, keep-alive, ${options.warmup} s warm-up + ${options.duration} s per row`);
if (partial) log(`Partial run: flows ${flowFilter ? [...flowFilter].join(',') : 'all'}; targets ${targetFilter ? [...targetFilter].join(',') : 'all'}; writes ${resultsFile}`);
log('');

/**
 * The rows, keyed by server and then by flow. All servers are up together (an idle server costs
 * nothing) and each flow is measured on every server back to back, so a change in the machine's
 * state over the run affects every server's row of a flow alike.
 */
async function measureAll(targets) {
  const rows = Object.fromEntries(targets.map((t) => [t.name, {}]));
  const each = async (key, title, measureRow, rowOf = (o) => o) => {
    log(`-- ${title}`);
    for (const target of targets) {
      // Taken per row: a primary's workers (and the Redis server) are the server too.
      const serverPids = target.server.cpuPids();
      const outcome = await measureQuietly(() => measureRow(target, { ...options, serverPids }), { rowOf, log });
      rows[target.name][key] = rowOf(outcome);
      const row = rows[target.name][key];
      log(`   ${target.name.padEnd(24)} ${row.available === false ? 'not available' : `${fmt(row.rps)} req/s${row.stepsPerIteration > 1 ? `, ${fmt(row.iterationsPerSec)} flows/s` : ''}, p99 ${row.p99} ms, ${fmt(cpuMsPerRequest(row), 2)} cpu ms/req, ${row.errors} errors, ${row.unexpected} unexpected`}`);
      if (key === 'halfPeak') Object.assign(rows[target.name], { halfPeakPeak: outcome.rows[0], halfPeakBursty: outcome.rows[2] });
    }
  };
  if (flowOn('cc')) {
    for (const method of Object.keys(clientCredentials.METHODS)) {
      await each(`cc:${method}`, `client credentials, ${method}`, (t, o) => clientCredentials.clientCredentials(t, method, o));
    }
  }
  if (flowOn('dpop')) await each('dpop', 'client credentials, private_key_jwt (ES256) + DPoP proof (ES256)', (t, o) => clientCredentials.dpopClientCredentials(t, o));
  if (flowOn('code')) await each('code', 'authorization code + PKCE through an existing session', (t, o) => authorizationCode.run(t, o), (o) => o.rows[0]);
  if (flowOn('introspection')) await each('introspection', 'introspection of opaque tokens', (t, o) => introspection.run(t, o), (o) => o.rows[0]);
  if (flowOn('device')) await each('device', 'device authorization + first poll (public client)', (t, o) => deviceCode.run(t, o), (o) => o.rows[0]);
  // oidc-provider has no token exchange: its rows are "not available" and the ratios n/a.
  if (flowOn('exchange')) await each('exchange', 'token exchange, delegation (Castellan only)', (t, o) => tokenExchange.run(t, o), (o) => o.rows[0]);
  // The peak is measured again just before the paced run, on the same server: a peak from the start
  // of the run would be offered to a server (and machine) in another state minutes later.
  if (flowOn('halfPeak')) await each('halfPeak', 'token endpoint at half its peak (peak, then paced at half)', (t, o) => tokenLatency.run(t, { ...o, floors: false }), (o) => o.rows[1]);
  return rows;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Processes of a started server once its worker count has settled (workers fork after the first listens). */
async function settledProcesses(pid) {
  let count = processTree(pid).length;
  let stableSince = Date.now();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && Date.now() - stableSince < 1500) {
    await sleep(250);
    const now = processTree(pid).length;
    if (now !== count) {
      count = now;
      stableSince = Date.now();
    }
  }
  return count;
}

function logTail(file, lines = 12) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const withPostgres = process.env.BENCH_POSTGRES !== '0' && postgresAvailable();
const wanted = TARGETS.filter((t) => !targetFilter || targetFilter.has(t.name));
const withRedis = wanted.some((t) => t.adapter === 'redis') ? await redisAvailable(BENCH_REDIS_URL) : false;
/** Targets not measured, with why: shown in the output and in the results. */
const skipped = [];
/** Per Castellan target: how it was started and how many processes it ran. */
const processes = {};

async function startTarget(spec) {
  if (spec.peer) return startOidcProvider({ fixture, adapter: spec.adapter });
  const dir = tempDir();
  const env = castellanBenchEnv(spec.workers === 'auto' ? { WORKERS: 'auto' } : {});
  // Each PostgreSQL target gets a database of its own (the bench database is dropped when created).
  const databaseUrl = spec.db === 'postgres' ? freshPostgresDatabase(spec.workers === 'auto' ? `${PG_BENCH_DB}_auto` : PG_BENCH_DB) : undefined;
  try {
    return await startCastellan({ fixture, db: spec.db, env, dir, name: spec.name, databaseUrl });
  } catch (error) {
    const tail = logTail(join(dir, `${spec.name}.log`));
    const configError = /Invalid configuration|is not valid|unknown setting|WORKERS/i.test(tail);
    log(`\n${configError ? 'CONFIG ERROR' : 'START FAILED'}: ${spec.name} (${spec.workers === 'auto' ? 'env WORKERS=auto' : 'one worker'}) did not start: ${error.message}`);
    log(tail.split('\n').map((l) => `   | ${l}`).join('\n'));
    log('');
    throw Object.assign(new Error(`${configError ? 'the server reported a configuration error' : 'did not start'}: ${tail.split('\n').filter((l) => l.trim()).slice(-3).join(' / ')}`), { startFailure: true });
  }
}

const started = [];
let results;
/** The machine's own cost of using every core at once (lib/parallel-cpu.mjs), measured once, quiet. */
let machineParallel;
try {
  const targets = [];
  for (const spec of wanted) {
    if (spec.db === 'postgres' && !withPostgres) {
      skipped.push({ name: spec.name, reason: process.env.BENCH_POSTGRES === '0' ? 'BENCH_POSTGRES=0' : 'PostgreSQL not reachable' });
      continue;
    }
    if (spec.adapter === 'redis' && !withRedis) {
      skipped.push({ name: spec.name, reason: `Redis not reachable at ${BENCH_REDIS_URL}` });
      continue;
    }
    let server;
    try {
      server = await startTarget(spec);
    } catch (error) {
      if (!error.startFailure) throw error;
      skipped.push({ name: spec.name, reason: error.message });
      continue;
    }
    started.push(server);
    targets.push(await prepareTarget(server, fixture, spec.name));
    if (!spec.peer) {
      const count = await settledProcesses(server.pid);
      const workers = count > 1 ? count - 1 : 1;
      processes[spec.name] = { count, workers, requested: spec.workers };
      log(`${spec.name}: ${count === 1 ? 'one process' : `a primary and ${count - 1} worker processes`}${spec.workers === 'auto' ? ' (env WORKERS=auto)' : ''}`);
      if (spec.workers === 'auto' && count === 1) {
        log(`NOTE: ${spec.name} was started with WORKERS=auto but runs as one process: this build ignores WORKERS`);
        log('      (castellan start --workers has not landed); its rows measure one worker, and the auto-vs-1 targets are not measurable.');
      }
      if (spec.workers === 1 && count > 1) log(`NOTE: ${spec.name} runs ${count} processes without WORKERS set: the build's default is not one worker.`);
    } else {
      log(`${spec.name}: ${spec.what}`);
    }
  }
  for (const s of skipped) log(`skipped ${s.name}: ${s.reason}`);
  log('');
  await waitForQuiet({ log, maxWaitMs: QUIET.maxWaitMs });
  machineParallel = await parallelCpuInflation(parallelism);
  log(`machine: ${parallelism} copies of a fixed RS256 signing workload at once each used ${fmt(machineParallel.inflation, 2)}x the CPU time one used alone (${fmt(machineParallel.together, 0)} vs ${fmt(machineParallel.alone, 0)} ms)`);
  log('');
  results = await measureAll(targets);
} finally {
  for (const server of started) await server.stop();
}

// Profiles: one fresh Castellan per scenario, --cpu-prof on, only the measured window summarised.
const profiles = [];
if (process.env.BENCH_PROFILE !== '0') {
  const measuredNames = new Set(Object.keys(results));
  const plans = [
    ['castellan-sqlite', 'sqlite', 'cc', 'client credentials (client_secret_basic, JWT)', (t, o) => clientCredentials.clientCredentials(t, 'client_secret_basic', o)],
    ['castellan-sqlite', 'sqlite', 'code', 'authorization code + PKCE (existing session)', (t, o) => authorizationCode.run(t, o)],
    ['castellan-postgres', 'postgres', 'cc', 'client credentials (client_secret_basic, JWT)', (t, o) => clientCredentials.clientCredentials(t, 'client_secret_basic', o)],
  ].filter(([label, , flow]) => measuredNames.has(label) && flowOn(flow));
  for (const [label, db, , scenario, work] of plans) {
    const { file, window } = await profileUnderLoad(
      (dir) => startCastellan({ fixture, db, env: castellanBenchEnv(), cpuProfDir: dir, name: `${label}-profile` }),
      async (server, onMeasured) => {
        const target = await prepareTarget(server, fixture, label);
        await waitForQuiet({ log, maxWaitMs: QUIET.maxWaitMs });
        const outcome = await work(target, { ...options, warmup: 1, serverPids: [server.pid], onMeasured });
        const row = outcome.rows?.[0] ?? outcome;
        log(`   profiled ${label}: ${scenario} at ${Math.round(row.rps)} req/s (the profiler slows the server)`);
      },
    );
    if (file) profiles.push({ title: `${label}: ${scenario}`, file, summary: summariseProfile(file, { window }) });
    else log(`no profile written for ${label} (the server did not exit cleanly)`);
  }
}

// Every row, as measured.
const servers = Object.keys(results);
const allRows = servers.flatMap((name) => Object.values(results[name]));
log('');
printTable(allRows);

// Ratios: every Castellan target against every peer, in throughput and in server CPU per request.
const specOf = (name) => TARGETS.find((t) => t.name === name);
const peers = servers.filter((s) => specOf(s).peer);
const castellans = servers.filter((s) => !specOf(s).peer);
const value = (row, metric) => (row?.available === false || !row ? undefined : metric === 'flows' ? row.iterationsPerSec : row.rps);
const ratioRows = [
  ...Object.keys(clientCredentials.METHODS).map((m) => [`client credentials, JWT access token (${m})`, `cc:${m}`, 'rps']),
  ['client credentials, DPoP-bound JWT access token (private_key_jwt + DPoP, ES256)', 'dpop', 'rps'],
  ['authorization code + PKCE, existing session (flows/s)', 'code', 'flows'],
  ['introspection, opaque token', 'introspection', 'rps'],
  ['device authorization + first poll (flows/s)', 'device', 'flows'],
  ['token exchange, delegation (Castellan only)', 'exchange', 'rps'],
].filter(([, key]) => servers.some((s) => results[s][key]));
/** Server CPU ms per request (per flow for the two-step flows); PostgreSQL's or Redis's included. */
const cpuPer = (row, metric) => {
  if (!row || row.available === false) return undefined;
  const perRequest = cpuMsPerRequest(row);
  return perRequest === undefined ? undefined : metric === 'flows' ? perRequest * row.stepsPerIteration : perRequest;
};
/** Throughput of `a` over `b` (above 1: `a` serves more). */
const throughputRatio = (a, b, key, metric) => {
  const ours = value(results[a]?.[key], metric);
  const theirs = value(results[b]?.[key], metric);
  return ours === undefined || !theirs ? undefined : ours / theirs;
};
/** CPU per request of `b` over `a`: requests per CPU-second of `a` against `b` (above 1: `a` needs less CPU; per-core efficiency). */
const cpuRatio = (a, b, key, metric) => {
  const ours = cpuPer(results[a]?.[key], metric);
  const theirs = cpuPer(results[b]?.[key], metric);
  return ours && theirs ? theirs / ours : undefined;
};
const x = (r) => (r === undefined ? 'n/a' : `${fmt(r, 2)}x`);

const peerHeaders = ['flow', ...peers.flatMap((p) => [`${p} req/s`, `${p} cpu ms`])];
const peerTable = ratioRows.map(([label, key, metric]) => [label, ...peers.flatMap((p) => [fmt(value(results[p][key], metric)), fmt(cpuPer(results[p][key], metric), 2)])]);
const castellanHeaders = (c) => ['flow', `${c} req/s`, `${c} cpu ms`, ...peers.flatMap((p) => [`vs ${p}: req/s`, `vs ${p}: cpu`])];
const castellanTable = (c) => ratioRows.map(([label, key, metric]) => [
  label, fmt(value(results[c][key], metric)), fmt(cpuPer(results[c][key], metric), 2),
  ...peers.flatMap((p) => [x(throughputRatio(c, p, key, metric)), x(cpuRatio(c, p, key, metric))]),
]);
// Auto workers against one, per database: whole-machine throughput, and CPU per request (auto's over one's).
const autoPairs = castellans.filter((c) => specOf(c).single && results[specOf(c).single]).map((c) => [specOf(c).single, c]);
const autoHeaders = ['flow', ...autoPairs.flatMap(([one, auto]) => [`${one} req/s`, `${auto} req/s`, 'throughput auto/1', `${one} cpu ms`, `${auto} cpu ms`, 'cpu per request auto/1'])];
const autoTable = ratioRows.map(([label, key, metric]) => [label, ...autoPairs.flatMap(([one, auto]) => {
  const ones = cpuPer(results[one][key], metric);
  const autos = cpuPer(results[auto][key], metric);
  return [fmt(value(results[one][key], metric)), fmt(value(results[auto][key], metric)), x(throughputRatio(auto, one, key, metric)), fmt(ones, 2), fmt(autos, 2), ones && autos ? `${fmt(autos / ones, 2)}x` : 'n/a'];
})]);
const workersOf = (name) => {
  const p = processes[name];
  return p ? (p.count === 1 ? '1 process' : `${p.workers} workers`) : 'n/a';
};

log('');
if (peers.length > 0) {
  log('Peers (req/s, or flows/s for two-step flows; server CPU ms per request, Redis included for the Redis adapter):');
  log(markdownTable(peerHeaders, peerTable));
}
for (const c of castellans) {
  log('');
  log(`${c} (${workersOf(c)}) against each peer: throughput ratio and CPU ratio (peer's CPU per request / Castellan's; above 1.0x Castellan does more per core):`);
  log(markdownTable(castellanHeaders(c), castellanTable(c)));
}
if (autoPairs.length > 0) {
  log('');
  log(`Auto workers against one worker${autoPairs.some(([, auto]) => processes[auto]?.count === 1) ? ' (this build ignored WORKERS=auto: one process ran, so the auto columns measure one worker again)' : ''}:`);
  log(markdownTable(autoHeaders, autoTable));
}

// The issue's targets: met, MISSED (by how much), or not measurable (why).
const targets = [];
const target = (name, measured, ok, by, why = 'not measurable') => targets.push({ name, detail: measured === undefined ? why : measured, status: measured === undefined ? 'NOT MEASURABLE' : ok ? 'met' : 'MISSED', by: measured === undefined || ok ? '' : by });
const pct = (n) => `${fmt(n * 100, 0)}%`;
const shortOfRatio = (r, min) => `${fmt(min - r, 3)}x short (${fmt((100 * (min - r)) / min, 1)}% below ${fmt(min, 1)}x)`;

// Per core: one worker against each peer, CPU per request, every flow row the peers serve.
const perCoreRows = ratioRows.filter(([, key]) => key !== 'exchange');
for (const c of castellans.filter((n) => specOf(n).workers === 1)) {
  for (const p of peers) {
    for (const [label, key, metric] of perCoreRows) {
      const min = perCoreMinimum(specOf(p).adapter, key);
      const r = cpuRatio(c, p, key, metric);
      const t = throughputRatio(c, p, key, metric);
      target(`per core, ${label}: ${c} (1 worker) >= ${fmt(min, 1)}x ${p}`, r === undefined ? undefined : `${x(r)} by CPU per request (throughput ${x(t)})`, r >= min, shortOfRatio(r, min));
    }
  }
}
// Whole machine: auto workers against one.
const spare = parallelism >= 4;
for (const [one, auto] of autoPairs) {
  const ran = processes[auto];
  if (!ran || ran.count === 1) {
    target(`whole machine: ${auto} against ${one}`, undefined, false, '', `not measurable: ${auto} ran one process (WORKERS=auto ignored by this build)`);
    continue;
  }
  for (const [label, key, metric] of perCoreRows) {
    if (spare) {
      const r = throughputRatio(auto, one, key, metric);
      target(`whole machine, ${label}: ${auto} >= 1.6x ${one} in throughput (${parallelism} cores)`, r === undefined ? undefined : `${x(r)} (${workersOf(auto)})`, r >= 1.6, shortOfRatio(r, 1.6));
    } else {
      const ones = cpuPer(results[one][key], metric);
      const autos = cpuPer(results[auto][key], metric);
      const r = ones && autos ? autos / ones : undefined;
      target(`whole machine on ${parallelism} cores, ${label}: ${auto} CPU per request at most 10% above ${one}'s`, r === undefined ? undefined : `${x(r)} (${fmt(autos, 2)} vs ${fmt(ones, 2)} ms, ${workersOf(auto)}; the machine alone: ${fmt(machineParallel.inflation, 2)}x)`, r <= 1.1, `${pct(r - 1)} more CPU per request, ${pct(r - 1.1)} over the 10% allowed`);
    }
  }
}
// Introspection, best Castellan target.
{
  const best = castellans.map((c) => [c, value(results[c].introspection, 'rps')]).filter(([, v]) => v !== undefined).sort((a, b) => b[1] - a[1])[0];
  target('opaque-token introspection >= 5,000 requests/s on the machine (best Castellan target)', best ? `${fmt(best[1])} req/s (${best[0]})` : undefined, best?.[1] >= 5000, best ? `${fmt(5000 - best[1])} req/s short (${pct((5000 - best[1]) / 5000)})` : '');
}
// Token p99 at half the measured peak, every Castellan target.
for (const c of castellans) {
  const half = results[c].halfPeak;
  target(`token endpoint p99 at half its peak: ${c} <= ${FLOORS.tokenP99AtHalfPeakMs} ms`, half && half.available !== false ? `${half.p99} ms at ${fmt(half.overallRate)} req/s` : undefined, half?.p99 <= FLOORS.tokenP99AtHalfPeakMs, half ? `${fmt(half.p99 - FLOORS.tokenP99AtHalfPeakMs, 1)} ms over` : '');
}
log('');
log('Targets:');
for (const t of targets) log(`${t.status.padEnd(14)} ${t.name}  (${t.detail}${t.by ? `; MISSED by ${t.by}` : ''})`);
const missed = targets.filter((t) => t.status === 'MISSED').length;
log(`${targets.filter((t) => t.status === 'met').length} met, ${missed} missed, ${targets.filter((t) => t.status === 'NOT MEASURABLE').length} not measurable`);
const broken = allRows.filter((r) => r.available !== false && (r.errors > 0 || r.unexpected > 0));
if (broken.length > 0) log(`\nCORRECTNESS: ${broken.map((r) => `${r.target} ${r.label}: ${r.errors} errors, ${r.unexpected} unexpected (${r.samples?.[0] ?? ''})`).join('\n')}`);
for (const s of skipped) log(`\nNot measured: ${s.name}: ${s.reason}`);
for (const p of profiles) {
  log(`\nProfile ${p.title} (top self time):`);
  for (const f of p.summary.functions.slice(0, 12)) log(`  ${String(f.pct).padStart(5)}%  ${f.name}  ${f.where}`);
}

writeFileSync(join(ROOT, resultsFile), renderResults());
log(`\nWrote ${resultsFile}`);
process.exit(broken.length > 0 || (missed > 0 && process.env.BENCH_STRICT === '1') ? 1 : 0);

function renderResults() {
  const m = machine;
  const versions = Object.entries(m.versions).map(([name, v]) => `${name} ${v}`).join(', ');
  const halfPeakServers = servers.filter((s) => results[s].halfPeak && results[s].halfPeak.available !== false);
  return `# Castellan load test results${partial ? ' (partial run)' : ''}

Written by \`npm run bench\` (loadtest/bench.mjs) on ${startedAt.toISOString()}. Re-run it to refresh; do not edit by hand.
${partial ? `
**Partial run**: flows ${flowFilter ? [...flowFilter].join(', ') : 'all'}; targets ${targetFilter ? [...targetFilter].join(', ') : 'all'}
(BENCH_FLOWS / BENCH_TARGETS), ${options.warmup} s warm-up + ${options.duration} s per row. Written to RESULTS-partial.md; RESULTS.md
holds the last full run.
` : ''}
## Machine

- CPU: ${m.cpu}, ${m.cores} cores (available parallelism ${parallelism}); memory ${m.memoryGiB} GiB; ${m.os}
- Load average when the run started: ${m.loadavg}; during the measured rows other processes used up to
  ${Math.max(0, ...allRows.filter((r) => r.cpu).map((r) => r.cpu.other))}% of one core (the last column of each row; near 0 on a quiet machine, and any
  larger share disturbs that row)
- Node ${m.node}; ${versions}
- Using every core at once costs this machine ${fmt(machineParallel.inflation, 2)}x CPU time per unit of work: ${machineParallel.copies}
  copies of a fixed RS256-signing workload (lib/parallel-cpu.mjs), each in its own process, each used
  ${fmt(machineParallel.together, 0)} ms of CPU at once against ${fmt(machineParallel.alone, 0)} ms alone. Compare the auto-workers CPU ratios below with it.

## Targets measured

${markdownTable(['target', 'what', 'processes'], TARGETS.filter((t) => !targetFilter || targetFilter.has(t.name)).map((t) => [t.name, t.what, skipped.find((s) => s.name === t.name) ? `not measured: ${skipped.find((s) => s.name === t.name).reason}` : t.peer ? (t.adapter === 'redis' ? 'the provider + redis-server' : 'one') : processes[t.name] ? (processes[t.name].count === 1 ? `one${t.workers === 'auto' ? ' (WORKERS=auto ignored by this build)' : ''}` : `a primary + ${processes[t.name].count - 1} workers`) : 'n/a']))}

## Method

- One run, one machine: each server in its own child process (a Castellan started with
  \`WORKERS=auto\` forks its workers from there), all of them started before the first row; each flow
  is measured on every target back to back (only one server under load at a time). The load
  generator (autocannon ${m.versions.autocannon}, programmatic API) runs in the bench process on the same ${m.cores} cores.
- Same for every server: ${options.connections} keep-alive connections on 127.0.0.1, ${options.warmup} s of unmeasured warm-up, then
  ${options.duration} s measured per row; the same clients (same ids, auth methods, scopes) and users; RS256 with a
  2048-bit key for every signature; PKCE S256 on every authorization.
- oidc-provider ${m.versions['oidc-provider']}, the peer, on three storage adapters written here from the adapter interface in
  its documentation (upsert, find, findByUid, findByUserCode, consume, destroy, revokeByGrantId):
  - \`oidc-provider\`: an unbounded Map (its bundled MemoryAdapter is an LRU of 1,000 entries, and
    its documentation calls in-memory storage development-only): the peer as nobody deploys it,
    kept as the lower bound of its storage cost.
  - \`oidc-provider-redis\`: Redis through ioredis ${m.versions.ioredis ?? ''}, after oidc-provider's example Redis adapter,
    which is what most of its users start from: one key per entry (JSON; the consumable models as a
    hash so that consume sets one field), \`uid\` and \`userCode\` lookup keys, a grant index (a set)
    read by revokeByGrantId, lifetimes through EXPIRE, one MULTI per save (plus the example's TTL
    read of the grant index). Keys carry a prefix of this run, deleted at the end; nothing else in
    the database is touched. The redis-server process's CPU counts as the server's.
  - \`oidc-provider-sqlite\`: SQLite through better-sqlite3 ${m.versions['better-sqlite3']} on a temp file with
    \`journal_mode=WAL\` and \`synchronous=NORMAL\`, as Castellan runs SQLite: one table (model, id,
    payload JSON, grant_id, user_code, uid, expires_at, consumed_at) with indexes on the lookups,
    prepared statements.
  On every adapter: its development interactions for login and consent, JWT access tokens for the
  client credentials clients through a resource indicator (the only way it issues JWT access tokens;
  they are not stored), opaque ones otherwise, introspection enabled.
- Castellan: \`castellan start\` from dist/ with a seed file; SQLite in a temp file, PostgreSQL in a fresh
  database per target (\`${PG_BENCH_DB}\`, \`${PG_BENCH_DB}_auto\`); one worker (WORKERS not set) and
  \`WORKERS=auto\`; audit events written in each token transaction; rate limiting
  ${Object.keys(castellanBenchEnv()).length > 0 ? `on with limits above the offered load (${Object.entries(castellanBenchEnv()).map(([k, v]) => `${k}=${v}`).join(', ')})` : 'not configurable yet (src/security has no rate limiter): its cost is not in these numbers'}.
  JWT access tokens are recorded (revocable), so Castellan writes a grant, a token row and an audit row
  per client credentials request where oidc-provider writes nothing.
- CPU per request: the server's CPU time over the measured row divided by its completed requests,
  from /proc. "Server" is every process of the target: Castellan's primary and its workers plus the
  PostgreSQL backends on PostgreSQL; oidc-provider's process plus redis-server on Redis. It is the
  per-core efficiency (requests per CPU-second), little moved by other work on the machine;
  throughput is what the whole machine served, generator included.
- Quiet machine: before each row the bench waits until other processes use under 15% of a core; a
  row during which they used more than ${QUIET.disturbedPct}% anyway is measured again (up to ${QUIET.retries} times, the least
  disturbed attempt kept). The same rule applies to every server.
- Flows: client credentials with a JWT access token for each client authentication method (the
  assertion methods sign a fresh assertion per request in the generator: HS256, ES256); authorization
  code + PKCE through an existing session (${options.connections} users signed in and consented before the run; each
  iteration is /authorize answered with a redirect carrying the code, then the code exchange giving an
  opaque access token and an RS256 ID token; req/s counts both requests, flows/s the completed pairs);
  introspection of opaque client credentials tokens by a client using HTTP Basic; the device
  authorization grant as a waiting device drives it (a public client asks for a device code, then
  polls once and is told authorization_pending; approval needs a person, so it is not in the loop);
  token exchange with delegation (a gateway exchanges a user's opaque access token from the code
  flow, with its own client credentials token as actor, for a JWT for one backend; oidc-provider has
  no token exchange, so that row is Castellan's alone); the token endpoint's
  p99 with the offered rate fixed at half its measured peak (client_secret_basic; see below).
- "errors" counts connection errors, timeouts and any answer other than the step's expected one;
  "non-2xx" includes the expected 302/303 redirects of /authorize.

## All rows

${resultsMarkdown(allRows)}

## The peers

Throughput (req/s; flows/s for the two-step flows) and server CPU ms per request (per flow for the
two-step flows) of oidc-provider on each adapter:

${peers.length > 0 ? markdownTable(peerHeaders, peerTable) : 'No peer was measured in this run.'}

## Castellan against each peer

For each Castellan target: its throughput and CPU per request, then against each peer the
throughput ratio (Castellan's over the peer's: whole-machine throughput) and the CPU ratio (the
peer's CPU per request over Castellan's: per-core efficiency). Above 1.0x Castellan does better.

${castellans.map((c) => `### ${c} (${workersOf(c)})\n\n${markdownTable(castellanHeaders(c), castellanTable(c))}`).join('\n\n')}

## Auto workers against one worker

${autoPairs.length > 0 ? `Throughput of \`WORKERS=auto\` over one worker (the whole machine), and its CPU per request over one
worker's (the cost of running several processes: above 1.0x each request costs more CPU). Part of
that cost is the machine's own: every core busy at once costs it ${fmt(machineParallel.inflation, 2)}x CPU per unit of work
(see Machine).
${autoPairs.some(([, auto]) => processes[auto]?.count === 1) ? '\n**This build ignored WORKERS=auto** (one process ran): the auto columns measure one worker again.\n' : ''}
${markdownTable(autoHeaders, autoTable)}` : 'Not measured in this run (needs a Castellan target and its -auto target).'}

## Token endpoint at half of its peak

${halfPeakServers.length > 0 ? `Client_secret_basic, JWT access tokens. Each server's peak is measured again just before its paced
run (the "peak req/s" column), and half of it is offered. "paced" is the open-loop generator (evenly
spaced starts, latency from the scheduled start) and is the figure the target uses; "bursts" is
autocannon's overallRate, which sends each connection's quota at the start of every second, so its
latencies are close to those at full concurrency:

${markdownTable(['server', 'peak req/s', 'offered req/s', 'served req/s', 'p50 ms', 'p90 ms', 'p99 ms (paced)', 'p99 ms (bursts)'], halfPeakServers.map((s) => [s, fmt(results[s].halfPeakPeak.rps), fmt(results[s].halfPeak.overallRate), fmt(results[s].halfPeak.rps), fmt(results[s].halfPeak.p50, 1), fmt(results[s].halfPeak.p90, 1), fmt(results[s].halfPeak.p99, 1), fmt(results[s].halfPeakBursty.p99, 1)]))}` : 'Not measured in this run.'}

## Targets (from the issue)

- Per core (CPU per request): Castellan with one worker >= 1.0x oidc-provider on Redis and on SQLite on
  every row, >= 1.3x on the code flow, and >= 0.9x oidc-provider on its in-memory adapter.
- Whole machine: with at least 2 cores spare beyond the load generator (available parallelism >= 4),
  \`WORKERS=auto\` >= 1.6x one worker in throughput; on a smaller machine (here: ${parallelism}), CPU per request
  with auto workers at most 10% above one worker's.
- Opaque-token introspection >= 5,000 req/s on the machine (the best Castellan target).
- Token endpoint p99 <= ${FLOORS.tokenP99AtHalfPeakMs} ms with the offered rate at half the measured peak.

${markdownTable(['target', 'measured', 'result', 'missed by'], targets.map((t) => [t.name, String(t.detail), t.status, t.by || '']))}

How far each target is from what any server can reach on this machine and runtime (a server that
only parses, signs once and answers, beside oidc-provider): \`CEILING.md\`, from \`npm run bench:ceiling\`.

## Not measured

${(() => {
    const missing = [
      ...skipped.map((s) => `- ${s.name}: ${s.reason}.`),
      ...allRows.filter((r) => r.available === false).map((r) => `- ${r.label} on ${r.target}: the server publishes no endpoint for it.`),
    ];
    return missing.length ? missing.join('\n') : '- Everything in the targets was measured.';
  })()}

## Where Castellan's time goes

${profiles.length === 0 ? 'Profiling was skipped (BENCH_PROFILE=0, or no profiled target/flow selected).' : `Each profile is a fresh Castellan (one worker) started with \`node --cpu-prof\` and loaded by the same scenario for ${options.duration} s; only
the samples of the measured window are counted. "idle" is time the event loop waited (on the
database, on the thread pool, or for requests). The Castellan table adds up synchronous stacks only
(time after an \`await\` is not attributed to the caller).

${profiles.map((p) => profileMarkdown(p.summary, p.title)).join('\n\n')}`}
`;
}
