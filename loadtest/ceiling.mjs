/**
 * `npm run bench:ceiling`: how cheap any token server can be on this machine, measured in one run
 * beside oidc-provider on its three adapters and beside Castellan itself. The ceiling servers
 * (lib/ceiling-server.mjs) only parse the request, make the flow's one RS256 signature (2048-bit)
 * and answer: no client authentication, storage, session, consent, rate limit or audit. One is on
 * express 5 (the way Castellan's listener runs it), one on node:http alone, and a third is the
 * express one plus the reads and atomic writes Castellan's storage needs per flow, on its own stores
 * over SQLite (lib/ceiling-storage.mjs). The same scenarios, runner, connections and quiet-machine
 * rule as `npm run bench`; needs `npm run build`.
 *
 * What it answers: whether a per-core target of the performance issue (CPU per request against each
 * peer) can be met by any server on this runtime and machine that does at least a ceiling's work,
 * and how far Castellan (SQLite, one worker) is from the ceiling that does its storage work. Writes
 * CEILING.md.
 *
 * Environment: as bench.mjs (BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_QUIET_WAIT,
 * BENCH_DISTURBED, BENCH_RETRIES); BENCH_REDIS_URL for the Redis peer (left out when unreachable).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { introspectionToken } from './lib/ceiling-storage.mjs';
import { ROOT } from './lib/children.mjs';
import { measureQuietly } from './lib/cpu.mjs';
import { makeFixture } from './lib/fixtures.mjs';
import { cpuMsPerRequest, formatNumber, machineInfo, markdownTable } from './lib/report.mjs';
import { DEFAULTS, runLoad } from './lib/runner.mjs';
import { FLOORS, perCoreMinimum } from './lib/thresholds.mjs';
import { redisAvailable } from './lib/redis.mjs';
import { BENCH_REDIS_URL, castellanBenchEnv, castellanEntry, startCastellan, startCeiling, startOidcProvider } from './lib/servers.mjs';
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

const isCeiling = (target) => target.kind.startsWith('ceiling-');

/** The four flows of the issue's targets; the ceiling servers need no signed-in sessions or minted tokens. */
const FLOWS = [
  ['cc', 'client credentials, JWT access token (client_secret_basic)', (t, o) => clientCredentials(t, 'client_secret_basic', o)],
  ['code', 'authorization code + PKCE (existing session)', (t, o) => (isCeiling(t)
    ? runLoad(t.url, authorizationCode.codeFlowSteps(t, ['session=none']), o)
    : authorizationCode.run(t, o).then((r) => r.rows[0]))],
  ['introspection', 'introspection (opaque token, Basic)', (t, o) => (isCeiling(t)
    ? runLoad(t.url, introspection.introspectionSteps(t, Array.from({ length: POOL }, (_, i) => introspectionToken(i))), o)
    : introspection.run(t, o).then((r) => r.rows[0]))],
  ['halfPeak', 'token endpoint p99 at half its peak (paced)', (t, o) => tokenLatency.run(t, o).then((r) => ({ ...r.rows[1], peak: r.rows[0].rps }))],
];

const withRedis = await redisAvailable(BENCH_REDIS_URL);
const started = [];
const rows = {};
try {
  started.push(await startOidcProvider({ fixture }));
  started.push(await startOidcProvider({ fixture, adapter: 'sqlite' }));
  if (withRedis) started.push(await startOidcProvider({ fixture, adapter: 'redis' }));
  started.push(await startCeiling('express'));
  started.push(await startCeiling('http'));
  started.push(await startCeiling('express', { storage: true, tokens: POOL }));
  started.push(await startCastellan({ fixture, db: 'sqlite', env: castellanBenchEnv() }));
  const targets = [];
  for (const server of started) targets.push(await prepareTarget(server, fixture));
  for (const [key, title, measure] of FLOWS) {
    log(`-- ${title}`);
    for (const target of targets) {
      // The Redis peer's redis-server is the server too, as PostgreSQL is for Castellan in the bench.
      const serverPids = target.server.cpuPids?.() ?? [target.server.pid];
      const row = await measureQuietly(() => measure(target, { ...options, serverPids }), { log });
      if (row.errors || row.unexpected) throw new Error(`${target.name} ${key}: ${row.errors} errors, ${row.unexpected} unexpected answers (${row.samples?.join('; ')})`);
      (rows[target.name] ??= {})[key] = row;
      log(`   ${target.name.padEnd(18)} ${fmt(row.rps)} req/s${row.stepsPerIteration > 1 ? `, ${fmt(row.iterationsPerSec)} flows/s` : ''}, p99 ${row.p99} ms, server cpu ${fmt(cpuMsPerRequest(row), 2)} ms/req`);
    }
  }
} finally {
  for (const server of started) await server.stop();
}

const rate = (row, key) => (key === 'code' ? row.iterationsPerSec : row.rps);
const names = started.map((server) => server.name);
const adapterOf = Object.fromEntries(started.map((server) => [server.name, server.adapter]));
const peers = names.filter((name) => name.startsWith('oidc-provider'));
const candidates = names.filter((name) => !name.startsWith('oidc-provider'));
const cpu = (name, key) => cpuMsPerRequest(rows[name][key]);
const rateTable = FLOWS.map(([key, title]) => [
  title,
  ...names.map((name) => (key === 'halfPeak' ? `${rows[name][key].p99} ms (at ${fmt(rows[name][key].overallRate)} req/s)` : fmt(rate(rows[name][key], key)))),
]);
const cpuTable = FLOWS.map(([key, title]) => [title, ...names.map((name) => fmt(cpu(name, key), 2))]);
// The issue's per-core targets, as bench.mjs judges them: the peer's CPU per request over the candidate's.
const minimum = (peer, key) => perCoreMinimum(adapterOf[peer], key);
const perCore = FLOWS.filter(([key]) => key !== 'halfPeak').flatMap(([key, title]) => peers.map((peer) => [
  title,
  `>= ${minimum(peer, key).toFixed(1)}x ${peer}`,
  ...candidates.map((name) => {
    const ratio = cpu(peer, key) / cpu(name, key);
    return `${ratio.toFixed(2)}x ${ratio >= minimum(peer, key) ? 'reached' : 'NOT reached'}`;
  }),
]));
const absolute = [
  ['introspection (opaque token, Basic)', `>= ${fmt(FLOORS.introspection)} req/s`, ...candidates.map((name) => (rows[name].introspection.rps >= FLOORS.introspection ? 'reached' : 'NOT reached'))],
  ['token endpoint p99 at half its peak (paced)', `p99 <= ${FLOORS.tokenP99AtHalfPeakMs} ms`, ...candidates.map((name) => (rows[name].halfPeak.p99 <= FLOORS.tokenP99AtHalfPeakMs ? 'reached' : 'NOT reached'))],
];
for (const line of [...rateTable, ...cpuTable, ...perCore, ...absolute]) log(line.join(' | '));

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
- oidc-provider ${machine.versions['oidc-provider']} exactly as in \`npm run bench\`, on each adapter run here:
  ${peers.map((name) => `\`${name}\``).join(', ')}${withRedis ? '' : ' (Redis was unreachable, so not the Redis adapter)'}. Its JWT access tokens are not
  stored on any adapter; its code flow and opaque tokens are.
- \`castellan-sqlite\`: Castellan from \`dist/\`, one worker, on SQLite, with the bench's settings
  (rate limits counted but never reached, audit always written).
- The same scenarios, runner and settings as \`npm run bench\`: ${options.connections} keep-alive
  connections, ${options.warmup} s warm-up, ${options.duration} s measured, the generator on the same
  cores, each row on a quiet machine and measured again when disturbed, as in the bench. The code
  flow's /authorize answers a redirect with a code, the exchange an opaque access token and an RS256
  ID token; introspection answers active for any token
  (\`ceiling-express-sqlite\`: for the 500 stored tokens presented).
- CPU per request counts every thread of the server's processes (and the Redis peer's redis-server).
  It is much less sensitive to a busy machine than requests/s, and it is what the per-core targets
  compare.

## Rates

${markdownTable(['flow', ...names], rateTable)}

Code flow rates are flows/s (two requests each); the others are requests/s.

## Server CPU per request (ms, all threads)

${markdownTable(['flow', ...names], cpuTable)}

## The issue's per-core targets against the ceilings and Castellan

Each cell is the peer's CPU per request over the candidate's, and whether the target is reached. A
target a ceiling does not reach is out of reach for any server that does at least that ceiling's
work here; \`ceiling-express-sqlite\` does the least work a server with Castellan's durable,
audited storage on SQLite can do, and \`castellan-sqlite\` is the server itself.

${markdownTable(['flow', 'target', ...candidates], perCore)}

## The absolute targets

${markdownTable(['flow', 'target', ...candidates], absolute)}
`;
writeFileSync(join(ROOT, 'loadtest/CEILING.md'), markdown);
log('\nwrote loadtest/CEILING.md');
