/**
 * Soak (`npm run loadtest:soak`): one Castellan node on SQLite under a steady moderate load for
 * SOAK_MINUTES (10) at SOAK_RATE (150) requests/s over all connections: each iteration obtains an
 * opaque access token (client credentials) and introspects it. Every SOAK_SAMPLE_SECONDS (10) the
 * node's RSS (VmRSS from /proc), its V8 heap (process.memoryUsage through a preloaded probe,
 * lib/memory-probe.cjs) and the row counts are sampled and printed as a table.
 * Thresholds: RSS grows by less than SOAK_RSS_MIB (30) MiB from minute 2 (warmed up) to the end,
 * compared as the medians of the samples in the first and the last minute of that span; the heap
 * the same way by less than 15%; storage grows exactly as the load dictates (one access token, one
 * grant and one token.issued audit event per issued token, nothing else), no errors.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { basicAuthorization, formBody, FORM } from '../lib/auth.mjs';
import { countRows, openCastellanDatabase } from '../lib/bulk-rows.mjs';
import { ROOT, tempDir } from '../lib/children.mjs';
import { CLIENTS, makeFixture } from '../lib/fixtures.mjs';
import { printTable, printThresholds } from '../lib/report.mjs';
import { runLoad } from '../lib/runner.mjs';
import { castellanBenchEnv, castellanEntry, startCastellan } from '../lib/servers.mjs';
import { prepareTarget } from '../lib/target.mjs';
import { correctness, threshold } from '../lib/thresholds.mjs';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const RATE = Number(process.env.SOAK_RATE ?? 150);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10);
const RSS_LIMIT_MIB = Number(process.env.SOAK_RSS_MIB ?? 30);
const HEAP_LIMIT = 0.15;
const CONNECTIONS = 20;
const TABLES = ['access_tokens', 'grants', 'audit_events'];
const MiB = 2 ** 20;

/** Client credentials for an opaque token, then introspection of that very token. */
function soakSteps(target, clientId = CLIENTS.ccOpaque) {
  const headers = { 'content-type': FORM, authorization: basicAuthorization(clientId, target.fixture.secrets[clientId]) };
  return [
    {
      name: 'token', method: 'POST', path: target.paths.token, headers, body: formBody({ grant_type: 'client_credentials', scope: 'api' }), expect: 200,
      check: (_status, body, context) => {
        context.token = JSON.parse(body).access_token;
        return typeof context.token === 'string';
      },
    },
    {
      name: 'introspect', method: 'POST', path: target.paths.introspection, expect: 200,
      setup: (context) => ({ headers, body: formBody({ token: context.token ?? 'none' }) }),
      check: (_status, body) => JSON.parse(body).active === true,
    },
  ];
}

function rssOf(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : undefined;
}

function lastProbe(file) {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return lines.length ? JSON.parse(lines.at(-1)) : undefined;
}

const median = (values) => {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : undefined;
};
const mib = (bytes) => (bytes === undefined ? '-' : (bytes / MiB).toFixed(1));

castellanEntry();
const fixture = makeFixture();
const dir = tempDir();
const probeFile = join(dir, 'memory.jsonl');
const server = await startCastellan({
  fixture, dir, db: 'sqlite',
  env: castellanBenchEnv({ NODE_OPTIONS: `--require ${join(ROOT, 'loadtest/lib/memory-probe.cjs')}`, LOADTEST_MEMORY_FILE: probeFile, LOADTEST_MEMORY_INTERVAL_MS: String(SAMPLE_SECONDS * 1000) }),
});
const store = await openCastellanDatabase(server.databaseUrl);
let failed = 1;
try {
  const target = await prepareTarget(server, fixture, 'castellan-sqlite');
  const startCounts = await countRows(store, TABLES);
  const samples = [];
  const started = Date.now();
  const sample = async () => {
    const probe = lastProbe(probeFile);
    samples.push({ t: (Date.now() - started) / 1000, rss: rssOf(server.pid), heapUsed: probe?.heapUsed, heapTotal: probe?.heapTotal, external: probe?.external, ...(await countRows(store, TABLES)) });
  };
  await sample();
  const timer = setInterval(() => void sample(), SAMPLE_SECONDS * 1000);
  console.log(`soak: ${MINUTES} min at ${RATE} requests/s against ${server.url} (pid ${server.pid}), sampling every ${SAMPLE_SECONDS} s`);
  const row = { label: `soak: token + introspection at ${RATE} req/s`, target: 'castellan-sqlite', ...(await runLoad(target.url, soakSteps(target), { duration: MINUTES * 60, warmup: 0, connections: CONNECTIONS, overallRate: RATE, serverPids: [server.pid] })) };
  clearInterval(timer);
  // Requests still in flight when the generator stopped may finish writing.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await sample();
  const endCounts = await countRows(store, TABLES);

  console.log('');
  console.log('   t (s)   RSS MiB  heapUsed MiB  heapTotal MiB  external MiB  access_tokens     grants  audit_events');
  for (const s of samples) {
    console.log(`${s.t.toFixed(0).padStart(8)}  ${mib(s.rss).padStart(8)}  ${mib(s.heapUsed).padStart(12)}  ${mib(s.heapTotal).padStart(13)}  ${mib(s.external).padStart(12)}  ${String(s.access_tokens).padStart(13)}  ${String(s.grants).padStart(9)}  ${String(s.audit_events).padStart(12)}`);
  }
  console.log('');
  printTable([row]);
  console.log('');

  // Warmed-up window: from minute 2 (or a fifth of a shorter run) to the end; medians of its first and last minute.
  const from = Math.min(120, (MINUTES * 60) / 5);
  const span = samples.filter((s) => s.t >= from);
  const early = span.filter((s) => s.t < from + 60);
  const late = span.filter((s) => s.t >= samples.at(-1).t - 60);
  const rss = [median(early.map((s) => s.rss)), median(late.map((s) => s.rss))];
  const heap = [median(early.map((s) => s.heapUsed)), median(late.map((s) => s.heapUsed))];
  const issued = row.statuses['token:200'] ?? 0;
  const grown = Object.fromEntries(TABLES.map((t) => [t, endCounts[t] - startCounts[t]]));
  const thresholds = [
    ...correctness(row.label, row),
    threshold(`soak: offered rate sustained (>= 90% of ${RATE} req/s)`, row.rps >= RATE * 0.9, `${row.rps.toFixed(1)} req/s, ${row.requests} requests in ${row.duration} s`),
    threshold(`soak: RSS from minute ${(from / 60).toFixed(1)} to the end grows by less than ${RSS_LIMIT_MIB} MiB`, rss[1] - rss[0] < RSS_LIMIT_MIB * MiB,
      `median ${mib(rss[0])} MiB -> ${mib(rss[1])} MiB (${mib(rss[1] - rss[0])} MiB, ${(((rss[1] - rss[0]) / rss[0]) * 100).toFixed(1)}%); peak ${mib(Math.max(...samples.map((s) => s.rss)))} MiB`),
    threshold(`soak: V8 heap used from minute ${(from / 60).toFixed(1)} to the end grows by less than ${HEAP_LIMIT * 100}%`, heap[0] !== undefined && heap[1] - heap[0] < heap[0] * HEAP_LIMIT,
      `median ${mib(heap[0])} MiB -> ${mib(heap[1])} MiB`),
    // A request in flight on each connection when the generator stopped may have written a token whose answer was not counted.
    threshold('soak: storage grows only as the load dictates (one access token, grant and token.issued audit event per issued token)',
      TABLES.every((t) => grown[t] >= issued && grown[t] <= issued + CONNECTIONS), `${issued} tokens issued; rows added: ${JSON.stringify(grown)}`),
  ];
  failed = printThresholds(thresholds);
} finally {
  await store.destroy();
  await server.stop();
}
process.exit(failed > 0 ? 1 : 0);
