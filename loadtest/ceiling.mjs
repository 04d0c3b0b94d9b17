/**
 * `npm run bench:ceiling`: how fast any token server can be on this machine, measured beside
 * oidc-provider in one run. The ceiling servers (lib/ceiling-server.mjs) only parse the request, make
 * the flow's one RS256 signature (2048-bit) and answer: no client authentication, storage, session,
 * consent, rate limit or audit. One is on express 5 (the way Castellan's listener runs it), one on
 * node:http alone, and a third is the express one plus the reads and atomic writes Castellan's
 * storage needs per flow, on its own stores over SQLite (lib/ceiling-storage.mjs). The same
 * scenarios, runner, connections and quiet-machine rule as `npm run bench`; needs `npm run build`.
 *
 * What it answers: whether a target of the performance issue can be met by any server on this
 * runtime and machine. A flow the ceiling itself cannot serve at 1.5x oidc-provider's rate cannot be
 * served at that rate by a server that also authenticates, stores and audits. Writes CEILING.md.
 *
 * Environment: as bench.mjs (BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_QUIET_WAIT,
 * BENCH_DISTURBED, BENCH_RETRIES).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { introspectionToken } from './lib/ceiling-storage.mjs';
import { ROOT, freePort, startChild, tempDir } from './lib/children.mjs';
import { measureQuietly } from './lib/cpu.mjs';
import { makeFixture } from './lib/fixtures.mjs';
import { cpuMsPerRequest, formatNumber, machineInfo, markdownTable } from './lib/report.mjs';
import { DEFAULTS, runLoad } from './lib/runner.mjs';
import { FLOORS } from './lib/thresholds.mjs';
import { castellanEntry, startOidcProvider } from './lib/servers.mjs';
import { prepareTarget } from './lib/target.mjs';
import * as authorizationCode from './scenarios/authorization-code.mjs';
import { clientCredentials } from './scenarios/client-credentials.mjs';
import * as introspection from './scenarios/introspection.mjs';
import * as tokenLatency from './scenarios/token-latency.mjs';

const options = { duration: DEFAULTS.duration, warmup: DEFAULTS.warmup, connections: DEFAULTS.connections, floors: false };
const machine = machineInfo();
// ceiling-express-sqlite runs Castellan's stores from dist/.
castellanEntry();
const fixture = makeFixture();
const log = (line = '') => console.log(line);
const fmt = (n, digits = 0) => formatNumber(n, digits, 'n/a');

const POOL = 500;

/** A ceiling server on `kind` (express or http); with `storage`, plus Castellan's store work on SQLite. */
async function startCeiling(kind, { storage = false } = {}) {
  const port = await freePort();
  const dir = tempDir('castellan-ceiling-');
  const name = `ceiling-${kind}${storage ? '-sqlite' : ''}`;
  const server = await startChild({
    name,
    script: join(ROOT, 'loadtest/lib/ceiling-server.mjs'),
    env: { CEILING_PORT: String(port), CEILING_KIND: kind, NODE_ENV: 'production', ...(storage ? { CEILING_DIR: dir, CEILING_TOKENS: String(POOL) } : {}) },
    readyUrl: `http://127.0.0.1:${port}/.well-known/openid-configuration`,
    logFile: join(dir, 'server.log'),
  });
  return { ...server, url: `http://127.0.0.1:${port}`, kind: name };
}

/** The four flows of the issue's targets; the ceiling servers need no signed-in sessions or minted tokens. */
const FLOWS = [
  ['cc', 'client credentials, JWT access token (client_secret_basic)', (t, o) => clientCredentials(t, 'client_secret_basic', o)],
  ['code', 'authorization code + PKCE (existing session)', (t, o) => (t.kind === 'oidc-provider'
    ? authorizationCode.run(t, o).then((r) => r.rows[0])
    : runLoad(t.url, authorizationCode.codeFlowSteps(t, ['session=none']), o))],
  ['introspection', 'introspection (opaque token, Basic)', (t, o) => (t.kind === 'oidc-provider'
    ? introspection.run(t, o).then((r) => r.rows[0])
    : runLoad(t.url, introspection.introspectionSteps(t, Array.from({ length: POOL }, (_, i) => introspectionToken(i))), o))],
  ['halfPeak', 'token endpoint p99 at half its peak (paced)', (t, o) => tokenLatency.run(t, o).then((r) => ({ ...r.rows[1], peak: r.rows[0].rps }))],
];

const started = [];
const rows = {};
try {
  started.push(await startOidcProvider({ fixture }));
  started.push(await startCeiling('express'));
  started.push(await startCeiling('http'));
  started.push(await startCeiling('express', { storage: true }));
  const targets = [];
  for (const server of started) targets.push(await prepareTarget(server, fixture, server.kind));
  for (const [key, title, measure] of FLOWS) {
    log(`-- ${title}`);
    for (const target of targets) {
      const row = await measureQuietly(() => measure(target, { ...options, serverPids: [target.server.pid] }), { log });
      if (row.errors || row.unexpected) throw new Error(`${target.name} ${key}: ${row.errors} errors, ${row.unexpected} unexpected answers (${row.samples?.join('; ')})`);
      (rows[target.name] ??= {})[key] = row;
      log(`   ${target.name.padEnd(18)} ${fmt(row.rps)} req/s${row.stepsPerIteration > 1 ? `, ${fmt(row.iterationsPerSec)} flows/s` : ''}, p99 ${row.p99} ms, server cpu ${fmt(cpuMsPerRequest(row), 2)} ms/req`);
    }
  }
} finally {
  for (const server of started) await server.stop();
}

const peer = rows['oidc-provider'];
const rate = (row, key) => (key === 'code' ? row.iterationsPerSec : row.rps);
const names = started.map((server) => server.kind);
const table = FLOWS.map(([key, title]) => [
  title,
  ...names.map((name) => (key === 'halfPeak' ? `${rows[name][key].p99} ms (at ${fmt(rows[name][key].overallRate)} req/s)` : fmt(rate(rows[name][key], key)))),
  ...names.slice(1).map((name) => (key === 'halfPeak' ? '' : `${(rate(rows[name][key], key) / rate(peer[key], key)).toFixed(2)}x`)),
]);
// The issue's targets (as bench.mjs judges them): a ratio to oidc-provider, a rate, or a p99.
const TARGETS = {
  cc: { text: '>= 1.0x oidc-provider (SQLite)', met: (row) => rate(row, 'cc') / rate(peer.cc, 'cc') >= 1.0 },
  code: { text: '>= 1.5x oidc-provider', met: (row) => rate(row, 'code') / rate(peer.code, 'code') >= 1.5 },
  introspection: { text: `>= ${fmt(FLOORS.introspection)} req/s`, met: (row) => row.rps >= FLOORS.introspection },
  halfPeak: { text: `p99 <= ${FLOORS.tokenP99AtHalfPeakMs} ms`, met: (row) => row.p99 <= FLOORS.tokenP99AtHalfPeakMs },
};
const ceilings = names.slice(1);
const reach = FLOWS.map(([key, title]) => [title, TARGETS[key].text, ...ceilings.map((name) => (TARGETS[key].met(rows[name][key]) ? 'reached' : 'NOT reached'))]);
const cpuTable = FLOWS.map(([key, title]) => [title, ...names.map((name) => fmt(cpuMsPerRequest(rows[name][key]), 2))]);
for (const line of table) log(line.join(' | '));
for (const line of reach) log(line.join(' | '));

const markdown = `# Ceiling: the fastest any token server can be here

Written by \`npm run bench:ceiling\` (loadtest/ceiling.mjs) on ${new Date().toISOString()}. Re-run it to refresh; do not edit by hand.

## Machine

- CPU: ${machine.cpu}, ${machine.cores} cores; memory ${machine.memoryGiB} GiB; ${machine.os}; load average at start ${machine.loadavg}
- Node ${machine.node}; oidc-provider ${machine.versions['oidc-provider']}, express ${machine.versions.express}, jose ${machine.versions.jose}, autocannon ${machine.versions.autocannon}

## Method

- The ceiling servers (\`lib/ceiling-server.mjs\`) parse the request, make the one RS256 signature
  (2048-bit key, jose) the flow needs and answer. They authenticate no client, check no session,
  consent or PKCE, and keep no rate limit; the first two store nothing either. Nothing that does
  more can be faster, so a rate they do not reach is out of reach for every server on this runtime
  and machine that does at least their work.
  - \`ceiling-express\`: express 5 with its raw body parser, requests built with the app's
    prototypes as Castellan's listener does.
  - \`ceiling-http\`: node:http alone.
  - \`ceiling-express-sqlite\`: \`ceiling-express\` plus the storage work Castellan's flows need to
    be durable and audited, on Castellan's own stores over SQLite (\`lib/ceiling-storage.mjs\`):
    client credentials write a grant, the token and an audit event; /authorize reads the session
    with its user and consent and writes grant, code and audit event; the exchange reads the code
    with its grant and consumes it while writing the token and audit event; introspection reads the
    token with its grant. Still no client authentication, validation, rate limit or headers.
- oidc-provider ${machine.versions['oidc-provider']} exactly as in \`npm run bench\` (unbounded Map adapter).
- The same scenarios, runner and settings as \`npm run bench\`: ${options.connections} keep-alive
  connections, ${options.warmup} s warm-up, ${options.duration} s measured, the generator on the same
  cores, each row on a quiet machine and measured again when disturbed, as in the bench. The code
  flow's /authorize answers a redirect with a code, the exchange an opaque access token and an RS256
  ID token; introspection answers active for any token
  (\`ceiling-express-sqlite\`: for the 500 stored tokens presented).

## Rates, and the ceilings over oidc-provider

${markdownTable(['flow', ...names, ...names.slice(1).map((name) => `${name} / oidc-provider`)], table)}

Code flow rates are flows/s (two requests each); the others are requests/s.

## The issue's targets against the ceilings

A target a ceiling does not reach is out of reach for any server that does at least that ceiling's
work here; \`ceiling-express-sqlite\` does the least work a server with Castellan's durable, audited
storage on SQLite can do.

${markdownTable(['flow', 'target', ...ceilings], reach)}

## Server CPU per request (ms, all threads)

${markdownTable(['flow', ...names], cpuTable)}
`;
writeFileSync(join(ROOT, 'loadtest/CEILING.md'), markdown);
log('\nwrote loadtest/CEILING.md');
