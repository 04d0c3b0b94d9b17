/**
 * `node loadtest/cpu-per-request.mjs [method] [servers]`: the server-side CPU cost of one client
 * credentials request (ms of CPU per request, all threads), for oidc-provider and Castellan on
 * SQLite and PostgreSQL. CPU time per request is far less sensitive to a busy machine than
 * requests/s, so it guides optimisation between full `npm run bench` runs.
 */
import { makeFixture } from './lib/fixtures.mjs';
import { runLoad } from './lib/runner.mjs';
import { castellanBenchEnv, postgresAvailable, startCastellan, startOidcProvider } from './lib/servers.mjs';
import { prepareTarget } from './lib/target.mjs';
import { clientCredentialsSteps, METHODS } from './scenarios/client-credentials.mjs';

const method = process.argv[2] ?? 'client_secret_basic';
const wanted = (process.argv[3] ?? 'oidc-provider,sqlite,postgres').split(',');
const amount = Number(process.env.CPU_REQUESTS ?? 4000);
const fixture = makeFixture();

async function measure(server, label) {
  try {
    const target = await prepareTarget(server, fixture, label);
    const steps = clientCredentialsSteps(target, METHODS[method]);
    await runLoad(target.url, steps, { amount: 500, warmup: 0, connections: 32 });
    const row = await runLoad(target.url, steps, { amount, warmup: 0, connections: Number(process.env.BENCH_CONNECTIONS ?? 32), serverPids: [server.pid] });
    const cpuMs = (row.cpu.server / 100) * row.duration * 1000 / row.requests;
    console.log(`${label.padEnd(20)} ${method}: ${cpuMs.toFixed(2)} server cpu ms/req, ${Math.round(row.rps)} req/s, p99 ${row.p99} ms, errors ${row.errors + row.unexpected}, other ${row.cpu.other}%`);
  } finally {
    await server.stop();
  }
}

if (wanted.includes('oidc-provider')) await measure(await startOidcProvider({ fixture }), 'oidc-provider');
if (wanted.includes('sqlite')) await measure(await startCastellan({ fixture, db: 'sqlite', env: castellanBenchEnv() }), 'castellan-sqlite');
if (wanted.includes('postgres') && postgresAvailable()) await measure(await startCastellan({ fixture, db: 'postgres', env: castellanBenchEnv() }), 'castellan-postgres');
