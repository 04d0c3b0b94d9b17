/**
 * `npm run bench:ceiling`: how fast any token server can be on this machine, measured beside
 * oidc-provider in one run. The ceiling servers (lib/ceiling-server.mjs) only parse the request, make
 * the flow's one RS256 signature (2048-bit) and answer: no client authentication, storage, session,
 * consent, rate limit or audit. One is on express 5 (the way Castellan's listener runs it), one on
 * node:http alone. The same scenarios, runner, connections and quiet-machine rule as `npm run bench`.
 *
 * What it answers: whether a target of the performance issue can be met by any server on this
 * runtime and machine. A flow the ceiling itself cannot serve at 1.5x oidc-provider's rate cannot be
 * served at that rate by a server that also authenticates, stores and audits. Writes CEILING.md.
 *
 * Environment: as bench.mjs (BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_QUIET_WAIT).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, freePort, startChild, tempDir } from './lib/children.mjs';
import { waitForQuiet } from './lib/cpu.mjs';
import { makeFixture } from './lib/fixtures.mjs';
import { cpuMsPerRequest, machineInfo, markdownTable } from './lib/report.mjs';
import { DEFAULTS, runLoad } from './lib/runner.mjs';
import { startOidcProvider } from './lib/servers.mjs';
import { prepareTarget } from './lib/target.mjs';
import * as authorizationCode from './scenarios/authorization-code.mjs';
import { clientCredentials } from './scenarios/client-credentials.mjs';
import * as introspection from './scenarios/introspection.mjs';
import * as tokenLatency from './scenarios/token-latency.mjs';

const options = { duration: DEFAULTS.duration, warmup: DEFAULTS.warmup, connections: DEFAULTS.connections, floors: false };
const QUIET_WAIT_MS = Number(process.env.BENCH_QUIET_WAIT ?? 300) * 1000;
const machine = machineInfo();
const fixture = makeFixture();
const log = (line = '') => console.log(line);
const fmt = (n, digits = 0) => (n === undefined || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

async function startCeiling(kind) {
  const port = await freePort();
  const dir = tempDir('castellan-ceiling-');
  const server = await startChild({
    name: `ceiling-${kind}`,
    script: join(ROOT, 'loadtest/lib/ceiling-server.mjs'),
    env: { CEILING_PORT: String(port), CEILING_KIND: kind, NODE_ENV: 'production' },
    readyUrl: `http://127.0.0.1:${port}/.well-known/openid-configuration`,
    logFile: join(dir, 'server.log'),
  });
  return { ...server, url: `http://127.0.0.1:${port}`, kind: `ceiling-${kind}` };
}

/** The four flows of the issue's targets; the ceiling servers need no signed-in sessions or minted tokens. */
const FLOWS = [
  ['cc', 'client credentials, JWT access token (client_secret_basic)', (t, o) => clientCredentials(t, 'client_secret_basic', o)],
  ['code', 'authorization code + PKCE (existing session)', (t, o) => (t.kind === 'oidc-provider'
    ? authorizationCode.run(t, o).then((r) => r.rows[0])
    : runLoad(t.url, authorizationCode.codeFlowSteps(t, ['session=none']), o))],
  ['introspection', 'introspection (opaque token, Basic)', (t, o) => (t.kind === 'oidc-provider'
    ? introspection.run(t, o).then((r) => r.rows[0])
    : runLoad(t.url, introspection.introspectionSteps(t, Array.from({ length: 500 }, (_, i) => `token-${i}-${'x'.repeat(36)}`)), o))],
  ['halfPeak', 'token endpoint p99 at half its peak (paced)', (t, o) => tokenLatency.run(t, o).then((r) => ({ ...r.rows[1], peak: r.rows[0].rps }))],
];

const started = [];
const rows = {};
try {
  started.push(await startOidcProvider({ fixture }));
  started.push(await startCeiling('express'));
  started.push(await startCeiling('http'));
  const targets = [];
  for (const server of started) targets.push(await prepareTarget(server, fixture, server.kind));
  for (const [key, title, measure] of FLOWS) {
    log(`-- ${title}`);
    for (const target of targets) {
      await waitForQuiet({ log, maxWaitMs: QUIET_WAIT_MS });
      const row = await measure(target, { ...options, serverPids: [target.server.pid] });
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
const names = ['oidc-provider', 'ceiling-express', 'ceiling-http'];
const table = FLOWS.map(([key, title]) => [
  title,
  ...names.map((name) => (key === 'halfPeak' ? `${rows[name][key].p99} ms (at ${fmt(rows[name][key].overallRate)} req/s)` : fmt(rate(rows[name][key], key)))),
  ...names.slice(1).map((name) => (key === 'halfPeak' ? '' : `${(rate(rows[name][key], key) / rate(peer[key], key)).toFixed(2)}x`)),
]);
const cpuTable = FLOWS.map(([key, title]) => [title, ...names.map((name) => fmt(cpuMsPerRequest(rows[name][key]), 2))]);
for (const line of table) log(line.join(' | '));

const markdown = `# Ceiling: the fastest any token server can be here

Written by \`npm run bench:ceiling\` (loadtest/ceiling.mjs) on ${new Date().toISOString()}. Re-run it to refresh; do not edit by hand.

## Machine

- CPU: ${machine.cpu}, ${machine.cores} cores; memory ${machine.memoryGiB} GiB; ${machine.os}; load average at start ${machine.loadavg}
- Node ${machine.node}; oidc-provider ${machine.versions['oidc-provider']}, express ${machine.versions.express}, jose ${machine.versions.jose}, autocannon ${machine.versions.autocannon}

## Method

- The ceiling servers (\`lib/ceiling-server.mjs\`) parse the request, make the one RS256 signature
  (2048-bit key, jose) the flow needs and answer. They authenticate no client, store nothing, check
  no session, consent or PKCE, and keep no rate limit or audit. Nothing that does more can be
  faster, so a rate they do not reach is out of reach for every server on this runtime and machine.
  - \`ceiling-express\`: express 5 with its raw body parser, requests built with the app's
    prototypes as Castellan's listener does.
  - \`ceiling-http\`: node:http alone.
- oidc-provider ${machine.versions['oidc-provider']} exactly as in \`npm run bench\` (unbounded Map adapter).
- The same scenarios, runner and settings as \`npm run bench\`: ${options.connections} keep-alive
  connections, ${options.warmup} s warm-up, ${options.duration} s measured, the generator on the same
  cores, each row on a quiet machine. The code flow's /authorize answers a redirect with a code, the
  exchange an opaque access token and an RS256 ID token; introspection answers active for any token.

## Rates, and the ceilings over oidc-provider

${markdownTable(['flow', ...names, 'ceiling-express / oidc-provider', 'ceiling-http / oidc-provider'], table)}

Code flow rates are flows/s (two requests each); the others are requests/s.

## Server CPU per request (ms, all threads)

${markdownTable(['flow', ...names], cpuTable)}
`;
writeFileSync(join(ROOT, 'loadtest/CEILING.md'), markdown);
log('\nwrote loadtest/CEILING.md');
