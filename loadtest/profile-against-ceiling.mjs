/**
 * `node loadtest/profile-against-ceiling.mjs [method]`: where Castellan's CPU per request goes beyond
 * the ceiling that does its storage work. Profiles `ceiling-express-sqlite` (lib/ceiling-server.mjs:
 * parse, one RS256 signature, Castellan's own SQLite writes, answer) and Castellan on SQLite with one
 * worker, each alone under the same client credentials load (`method`, default client_secret_basic),
 * with --cpu-prof; then prints each area's main-thread time per request side by side, largest
 * difference first. CEILING.md says how far apart the two are; this says in which code.
 *
 * The profile is of the main thread's wall time: a sample taken while the thread waited for a core
 * (the signature runs on libuv's pool) counts where the thread resumed, so compare areas, not the
 * totals. BENCH_DURATION and BENCH_CONNECTIONS as profile-one.mjs. Needs `npm run build`.
 */
import { makeFixture } from './lib/fixtures.mjs';
import { profileUnderLoad, summariseProfile } from './lib/profile.mjs';
import { cpuMsPerRequest, markdownTable } from './lib/report.mjs';
import { runLoad } from './lib/runner.mjs';
import { castellanBenchEnv, castellanEntry, startCastellan, startCeiling } from './lib/servers.mjs';
import { prepareTarget } from './lib/target.mjs';
import { clientCredentialsSteps, METHODS } from './scenarios/client-credentials.mjs';

const method = process.argv[2] ?? 'client_secret_basic';
if (!METHODS[method]) throw new Error(`unknown method ${method}: one of ${Object.keys(METHODS).join(', ')}`);
castellanEntry();
const fixture = makeFixture();
const load = { duration: Number(process.env.BENCH_DURATION ?? 10), warmup: 2, connections: Number(process.env.BENCH_CONNECTIONS ?? 32) };

/** { cpuMs, rps, areas: Map(area -> µs of main thread per request) } for one server under the load. */
async function profiled(start, label, clientId) {
  const { outcome: row, file, window } = await profileUnderLoad(start, async (server, onMeasured) => {
    const target = await prepareTarget(server, fixture, label);
    return runLoad(target.url, clientCredentialsSteps(target, clientId), { ...load, serverPids: [server.pid], onMeasured });
  });
  if (row.errors || row.unexpected) throw new Error(`${label}: ${row.errors} errors, ${row.unexpected} unexpected answers (${row.samples?.join('; ')})`);
  const summary = summariseProfile(file, { top: 1000, window });
  const areas = new Map(summary.areas.map((a) => [a.area, (a.ms * 1000) / row.requests]));
  console.log(`${label}: ${Math.round(row.rps)} req/s, ${cpuMsPerRequest(row).toFixed(2)} ms CPU per request (all threads)`);
  return { cpuMs: cpuMsPerRequest(row), areas };
}

// The ceiling takes any client; Castellan authenticates the method's client, as in the bench.
const ceiling = await profiled((dir) => startCeiling('express', { storage: true, cpuProfDir: dir }), 'ceiling-express-sqlite', METHODS[method]);
const castellan = await profiled((dir) => startCastellan({ fixture, db: 'sqlite', env: castellanBenchEnv(), cpuProfDir: dir }), 'castellan-sqlite', METHODS[method]);

const names = [...new Set([...ceiling.areas.keys(), ...castellan.areas.keys()])].filter((area) => area !== 'idle');
const us = (map, area) => map.get(area) ?? 0;
const rows = names
  .map((area) => ({ area, ceiling: us(ceiling.areas, area), castellan: us(castellan.areas, area) }))
  .sort((a, b) => (b.castellan - b.ceiling) - (a.castellan - a.ceiling))
  .filter((row) => Math.abs(row.castellan - row.ceiling) >= 1);
console.log(`\nclient credentials (${method}): CPU per request ${castellan.cpuMs.toFixed(2)} ms against ${ceiling.cpuMs.toFixed(2)} ms (${(castellan.cpuMs - ceiling.cpuMs).toFixed(2)} ms more)\n`);
console.log(markdownTable(['area (main thread)', 'ceiling-express-sqlite µs/req', 'castellan-sqlite µs/req', 'difference µs/req'],
  rows.map((row) => [row.area, row.ceiling.toFixed(0), row.castellan.toFixed(0), (row.castellan - row.ceiling).toFixed(0)])));
