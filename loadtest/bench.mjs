/**
 * `npm run bench`: Castellan (SQLite, then PostgreSQL) and oidc-provider measured in one run on this
 * machine with the same flows, clients, concurrency and keep-alive connections, RS256 with 2048-bit
 * keys. Each server runs alone in its own child process while it is measured; the load generator
 * runs here. Prints every row, the ratios to oidc-provider and the issue's targets, profiles
 * Castellan with --cpu-prof, and writes loadtest/RESULTS.md.
 *
 * Environment: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, 3), BENCH_CONNECTIONS (32),
 * BENCH_PROFILE=0 to skip profiling, BENCH_QUIET_WAIT (s, 300) / BENCH_DISTURBED (% of a core, 25) /
 * BENCH_RETRIES (2) for measuring on a shared machine, BENCH_POSTGRES=0 to skip PostgreSQL, BENCH_STRICT=1 to exit
 * non-zero when a target is missed (correctness failures always do).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './lib/children.mjs';
import { makeFixture } from './lib/fixtures.mjs';
import { profileMarkdown, profilesIn, summariseProfile } from './lib/profile.mjs';
import { cpuMsPerRequest, formatNumber, machineInfo, markdownTable, printTable, printThresholds, resultsMarkdown } from './lib/report.mjs';
import { measureQuietly, QUIET, waitForQuiet } from './lib/cpu.mjs';
import { DEFAULTS } from './lib/runner.mjs';
import { castellanBenchEnv, castellanEntry, postgresAvailable, startCastellan, startOidcProvider } from './lib/servers.mjs';
import { prepareTarget } from './lib/target.mjs';
import { FLOORS, threshold } from './lib/thresholds.mjs';
import * as authorizationCode from './scenarios/authorization-code.mjs';
import * as clientCredentials from './scenarios/client-credentials.mjs';
import * as deviceCode from './scenarios/device-code.mjs';
import * as tokenExchange from './scenarios/token-exchange.mjs';
import * as introspection from './scenarios/introspection.mjs';
import * as tokenLatency from './scenarios/token-latency.mjs';

const options = { duration: DEFAULTS.duration, warmup: DEFAULTS.warmup, connections: DEFAULTS.connections, floors: false };
const startedAt = new Date();
const machine = machineInfo();
castellanEntry();
const fixture = makeFixture();

const log = (line = '') => console.log(line);
const fmt = (n, digits = 0) => formatNumber(n, digits, 'n/a');
log(`Castellan bench: ${machine.cores} x ${machine.cpu}, ${machine.memoryGiB} GiB, node ${machine.node}; load average at start ${machine.loadavg}`);
log(`${options.connections} connections, keep-alive, ${options.warmup} s warm-up + ${options.duration} s per row\n`);

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
      const outcome = await measureQuietly(() => measureRow(target, { ...options, serverPids: [target.server.pid] }), { rowOf, log });
      rows[target.name][key] = rowOf(outcome);
      const row = rows[target.name][key];
      log(`   ${target.name.padEnd(18)} ${row.available === false ? 'not available' : `${fmt(row.rps)} req/s${row.stepsPerIteration > 1 ? `, ${fmt(row.iterationsPerSec)} flows/s` : ''}, p99 ${row.p99} ms`}`);
      if (key === 'halfPeak') Object.assign(rows[target.name], { halfPeakPeak: outcome.rows[0], halfPeakBursty: outcome.rows[2] });
    }
  };
  for (const method of Object.keys(clientCredentials.METHODS)) {
    await each(`cc:${method}`, `client credentials, ${method}`, (t, o) => clientCredentials.clientCredentials(t, method, o));
  }
  await each('code', 'authorization code + PKCE through an existing session', (t, o) => authorizationCode.run(t, o), (o) => o.rows[0]);
  await each('introspection', 'introspection of opaque tokens', (t, o) => introspection.run(t, o), (o) => o.rows[0]);
  await each('device', 'device authorization + first poll (public client)', (t, o) => deviceCode.run(t, o), (o) => o.rows[0]);
  // oidc-provider has no token exchange: its row is "not available" and the ratio n/a.
  await each('exchange', 'token exchange, delegation (Castellan only)', (t, o) => tokenExchange.run(t, o), (o) => o.rows[0]);
  // The peak is measured again just before the paced run, on the same server: a peak from the start
  // of the run would be offered to a server (and machine) in another state minutes later.
  await each('halfPeak', 'token endpoint at half its peak (peak, then paced at half)', (t, o) => tokenLatency.run(t, { ...o, floors: false }), (o) => o.rows[1]);
  return rows;
}

const withPostgres = process.env.BENCH_POSTGRES !== '0' && postgresAvailable();
const started = [];
let results;
try {
  started.push(await startOidcProvider({ fixture }));
  started.push(await startCastellan({ fixture, db: 'sqlite', env: castellanBenchEnv() }));
  if (withPostgres) started.push(await startCastellan({ fixture, db: 'postgres', env: castellanBenchEnv() }));
  const targets = [];
  for (const server of started) targets.push(await prepareTarget(server, fixture, server.kind === 'castellan' ? `castellan-${server.db}` : 'oidc-provider'));
  results = await measureAll(targets);
} finally {
  for (const server of started) await server.stop();
}

// Profiles: one fresh Castellan per scenario, --cpu-prof on, only the measured window summarised.
const profiles = [];
if (process.env.BENCH_PROFILE !== '0') {
  const plans = [
    ['castellan-sqlite', 'sqlite', 'client credentials (client_secret_basic, JWT)', (t, o) => clientCredentials.clientCredentials(t, 'client_secret_basic', o)],
    ['castellan-sqlite', 'sqlite', 'authorization code + PKCE (existing session)', (t, o) => authorizationCode.run(t, o)],
  ];
  if (withPostgres) plans.push(['castellan-postgres', 'postgres', 'client credentials (client_secret_basic, JWT)', (t, o) => clientCredentials.clientCredentials(t, 'client_secret_basic', o)]);
  for (const [label, db, scenario, work] of plans) {
    const dir = tempDir('castellan-profile-');
    const server = await startCastellan({ fixture, db, env: castellanBenchEnv(), cpuProfDir: dir, name: `${label}-profile` });
    let window;
    try {
      const target = await prepareTarget(server, fixture, label);
      await waitForQuiet({ log, maxWaitMs: QUIET.maxWaitMs });
      const onMeasured = ({ from, to }) => {
        window = { fromMs: from - server.spawnedAt, toMs: to - server.spawnedAt };
      };
      const outcome = await work(target, { ...options, warmup: 1, serverPids: [server.pid], onMeasured });
      const row = outcome.rows?.[0] ?? outcome;
      log(`   profiled ${label}: ${scenario} at ${Math.round(row.rps)} req/s (the profiler slows the server)`);
    } finally {
      await server.stop();
    }
    const [file] = profilesIn(dir);
    if (file) profiles.push({ title: `${label}: ${scenario}`, file, summary: summariseProfile(file, { window }) });
    else log(`no profile written for ${label} (the server did not exit cleanly)`);
  }
}

// Every row, as measured.
const servers = Object.keys(results);
const allRows = servers.flatMap((name) => Object.values(results[name]));
log('');
printTable(allRows);

// Ratios and targets.
const value = (row, metric) => (row?.available === false || !row ? undefined : metric === 'flows' ? row.iterationsPerSec : row.rps);
const ratioRows = [
  ...Object.keys(clientCredentials.METHODS).map((m) => [`client credentials, JWT access token (${m})`, `cc:${m}`, 'rps']),
  ['authorization code + PKCE, existing session (flows/s)', 'code', 'flows'],
  ['introspection, opaque token', 'introspection', 'rps'],
  ['device authorization + first poll (flows/s)', 'device', 'flows'],
  ['token exchange, delegation (Castellan only)', 'exchange', 'rps'],
];
const ratio = (castellan, key, metric) => {
  const ours = value(results[castellan]?.[key], metric);
  const theirs = value(results['oidc-provider'][key], metric);
  return ours === undefined || !theirs ? undefined : ours / theirs;
};
const castellans = servers.filter((s) => s !== 'oidc-provider');
const ratioTable = ratioRows.map(([label, key, metric]) => [
  label,
  fmt(value(results['oidc-provider'][key], metric)),
  ...castellans.flatMap((c) => [fmt(value(results[c][key], metric)), ratio(c, key, metric) === undefined ? 'n/a' : `${fmt(ratio(c, key, metric), 2)}x`]),
]);
const ratioHeaders = ['flow', 'oidc-provider', ...castellans.flatMap((c) => [c, 'ratio'])];
// The same comparison in server CPU time per request (per flow for the code flow): oidc-provider's / Castellan's.
const cpuPer = (row, metric) => {
  const perRequest = cpuMsPerRequest(row);
  return perRequest === undefined ? undefined : metric === 'flows' ? perRequest * row.stepsPerIteration : perRequest;
};
const cpuRatioTable = ratioRows.map(([label, key, metric]) => {
  const theirs = cpuPer(results['oidc-provider'][key], metric);
  return [label, fmt(theirs, 2), ...castellans.flatMap((c) => {
    const ours = cpuPer(results[c][key], metric);
    return [fmt(ours, 2), ours && theirs ? `${fmt(theirs / ours, 2)}x` : 'n/a'];
  })];
});
log('');
log(markdownTable(ratioHeaders, ratioTable));
log('');
log('Server CPU ms per request (oidc-provider / Castellan):');
log(markdownTable(['flow', 'oidc-provider ms', ...castellans.flatMap((c) => [`${c} ms`, 'ratio'])], cpuRatioTable));

const targets = [];
const target = (name, measured, ok) => targets.push(threshold(name, measured !== undefined && ok, measured === undefined ? 'not measurable' : measured));
const ccSqlite = ratio('castellan-sqlite', 'cc:client_secret_basic', 'rps');
target('client credentials (JWT, client_secret_basic): Castellan on SQLite >= 1.0x oidc-provider', ccSqlite === undefined ? undefined : `${fmt(ccSqlite, 2)}x`, ccSqlite >= 1.0);
const ccPg = withPostgres ? ratio('castellan-postgres', 'cc:client_secret_basic', 'rps') : undefined;
target('client credentials (JWT, client_secret_basic): Castellan on PostgreSQL >= 0.9x oidc-provider', ccPg === undefined ? undefined : `${fmt(ccPg, 2)}x`, ccPg >= 0.9);
for (const c of castellans) {
  const code = ratio(c, 'code', 'flows');
  target(`authorization code + PKCE through an existing session: ${c} >= 1.5x oidc-provider`, code === undefined ? undefined : `${fmt(code, 2)}x`, code >= 1.5);
}
for (const c of castellans) {
  const rps = value(results[c].introspection, 'rps');
  target(`opaque-token introspection: ${c} >= 5,000 requests/s`, rps === undefined ? undefined : `${fmt(rps)} req/s`, rps >= 5000);
}
for (const c of castellans) {
  const p99 = results[c].halfPeak.p99;
  target(`token endpoint p99 at half its peak: ${c} <= ${FLOORS.tokenP99AtHalfPeakMs} ms`, `${p99} ms at ${fmt(results[c].halfPeak.overallRate)} req/s`, p99 <= FLOORS.tokenP99AtHalfPeakMs);
}
log('');
log('Targets:');
const missed = printThresholds(targets);
const broken = allRows.filter((r) => r.available !== false && (r.errors > 0 || r.unexpected > 0));
if (broken.length > 0) log(`\nCORRECTNESS: ${broken.map((r) => `${r.target} ${r.label}: ${r.errors} errors, ${r.unexpected} unexpected (${r.samples?.[0] ?? ''})`).join('\n')}`);
for (const p of profiles) {
  log(`\nProfile ${p.title} (top self time):`);
  for (const f of p.summary.functions.slice(0, 12)) log(`  ${String(f.pct).padStart(5)}%  ${f.name}  ${f.where}`);
}

writeFileSync(join(ROOT, 'loadtest/RESULTS.md'), renderResults());
log('\nWrote loadtest/RESULTS.md');
process.exit(broken.length > 0 || (missed > 0 && process.env.BENCH_STRICT === '1') ? 1 : 0);

function renderResults() {
  const m = machine;
  const versions = Object.entries(m.versions).map(([name, v]) => `${name} ${v}`).join(', ');
  return `# Castellan load test results

Written by \`npm run bench\` (loadtest/bench.mjs) on ${startedAt.toISOString()}. Re-run it to refresh; do not edit by hand.

## Machine

- CPU: ${m.cpu}, ${m.cores} cores; memory ${m.memoryGiB} GiB; ${m.os}
- Load average when the run started: ${m.loadavg}; during the measured rows other processes used up to
  ${Math.max(0, ...allRows.filter((r) => r.cpu).map((r) => r.cpu.other))}% of one core (the last column of each row; near 0 on a quiet machine, and any
  larger share disturbs that row)
- Node ${m.node}; ${versions}

## Method

- One run, one machine: each server in its own child process, all three started before the first
  row; each flow is measured on oidc-provider, Castellan on SQLite and Castellan on PostgreSQL back
  to back (only one server under load at a time). The load generator (autocannon ${m.versions.autocannon},
  programmatic API) runs in the bench process on the same 2 cores.
- Same for every server: ${options.connections} keep-alive connections on 127.0.0.1, ${options.warmup} s of unmeasured warm-up, then
  ${options.duration} s measured per row; the same clients (same ids, auth methods, scopes) and users; RS256 with a
  2048-bit key for every signature; PKCE S256 on every authorization.
- oidc-provider ${m.versions['oidc-provider']}: an unbounded Map adapter (its bundled MemoryAdapter is an LRU of 1,000
  entries), its development interactions for login and consent, JWT access tokens for the client
  credentials clients through a resource indicator (the only way it issues JWT access tokens; they are
  not stored), opaque ones otherwise, introspection enabled.
- Castellan: \`castellan start\` from dist/ with a seed file; SQLite in a temp file, PostgreSQL in a fresh
  \`castellan_bench\` database; audit events written in each token transaction; rate limiting
  ${Object.keys(castellanBenchEnv()).length > 0 ? `on with limits above the offered load (${Object.entries(castellanBenchEnv()).map(([k, v]) => `${k}=${v}`).join(', ')})` : 'not configurable yet (src/security has no rate limiter): its cost is not in these numbers'}.
  JWT access tokens are recorded (revocable), so Castellan writes a grant, a token row and an audit row
  per client credentials request where oidc-provider writes nothing.
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

## Castellan against oidc-provider

${markdownTable(ratioHeaders, ratioTable)}

Server CPU time per request (per flow for the code flow; Castellan on PostgreSQL includes the
PostgreSQL processes), from /proc during the measured rows. This depends far less on other work on
the machine than throughput does; the ratio is oidc-provider's CPU time over Castellan's, so above
1.0x means Castellan needs less CPU for the same work:

${markdownTable(['flow', 'oidc-provider ms', ...castellans.flatMap((c) => [`${c} ms`, 'ratio'])], cpuRatioTable)}

Token endpoint at half of its peak (client_secret_basic, JWT access tokens). Each server's peak is
measured again just before its paced run (the "peak req/s" column), and half of it is offered. "paced" is the
open-loop generator (evenly spaced starts, latency from the scheduled start) and is the figure the
target uses; "bursts" is autocannon's overallRate, which sends each connection's quota at the start
of every second, so its latencies are close to those at full concurrency:

${markdownTable(['server', 'peak req/s', 'offered req/s', 'served req/s', 'p50 ms', 'p90 ms', 'p99 ms (paced)', 'p99 ms (bursts)'], servers.map((s) => [s, fmt(results[s].halfPeakPeak.rps), fmt(results[s].halfPeak.overallRate), fmt(results[s].halfPeak.rps), fmt(results[s].halfPeak.p50, 1), fmt(results[s].halfPeak.p90, 1), fmt(results[s].halfPeak.p99, 1), fmt(results[s].halfPeakBursty.p99, 1)]))}

## Targets (from the issue)

${markdownTable(['target', 'measured', 'result'], targets.map((t) => [t.name, String(t.detail), t.detail === 'not measurable' ? 'NOT MEASURABLE' : t.ok ? 'met' : 'MISSED']))}

How far each target is from what any server can reach on this machine and runtime (a server that
only parses, signs once and answers, beside oidc-provider): \`CEILING.md\`, from \`npm run bench:ceiling\`.

## Not measurable yet

${(() => {
    const missing = allRows.filter((r) => r.available === false).map((r) => `- ${r.label} on ${r.target}: the server publishes no endpoint for it.`);
    return missing.length ? missing.join('\n') : '- Everything in the targets was measured.';
  })()}

## Where Castellan's time goes

${profiles.length === 0 ? 'Profiling was skipped (BENCH_PROFILE=0).' : `Each profile is a fresh Castellan started with \`node --cpu-prof\` and loaded by the same scenario for ${options.duration} s; only
the samples of the measured window are counted. "idle" is time the event loop waited (on the
database, on the thread pool, or for requests). The Castellan table adds up synchronous stacks only
(time after an \`await\` is not attributed to the caller).

${profiles.map((p) => profileMarkdown(p.summary, p.title)).join('\n\n')}`}
`;
}
