/**
 * `node loadtest/profile-one.mjs [method|code|introspection]`: profiles Castellan alone (SQLite unless
 * LOADTEST_DB=postgres) under one client credentials method, the code flow or introspection, with --cpu-prof, and prints where
 * its time goes. Used to find the token endpoint's avoidable work before optimising.
 */
import { makeFixture } from './lib/fixtures.mjs';
import { profileUnderLoad, summariseProfile } from './lib/profile.mjs';
import { runLoad } from './lib/runner.mjs';
import { castellanBenchEnv, startCastellan } from './lib/servers.mjs';
import { prepareTarget } from './lib/target.mjs';
import { clientCredentialsSteps, METHODS } from './scenarios/client-credentials.mjs';
import { codeFlowSteps, SCOPE } from './scenarios/authorization-code.mjs';
import { CLIENTS } from './lib/fixtures.mjs';
import { clientCredentialsTokens, signIn } from './lib/target.mjs';
import { introspectionSteps } from './scenarios/introspection.mjs';

const method = process.argv[2] ?? 'client_secret_basic';
const db = process.env.LOADTEST_DB ?? 'sqlite';
const fixture = makeFixture();
const { outcome: row, file, window } = await profileUnderLoad(
  (profDir) => startCastellan({ fixture, db, env: castellanBenchEnv(), cpuProfDir: profDir }),
  async (server, onMeasured) => {
    const target = await prepareTarget(server, fixture, `castellan-${db}`);
    const steps = method === 'code'
      ? codeFlowSteps(target, (await signIn(target, CLIENTS.web, SCOPE, 32)).map((session) => session.cookie))
      : method === 'introspection'
        ? introspectionSteps(target, await clientCredentialsTokens(target, CLIENTS.ccOpaque, 500))
        : clientCredentialsSteps(target, METHODS[method]);
    return runLoad(target.url, steps, { duration: Number(process.env.BENCH_DURATION ?? 10), warmup: 2, connections: Number(process.env.BENCH_CONNECTIONS ?? 32), serverPids: [server.pid], onMeasured });
  },
);
console.log(`${method} on ${db}: ${Math.round(row.rps)} req/s, p99 ${row.p99} ms, errors ${row.errors}, cpu ${JSON.stringify(row.cpu ?? {})}`);
const summary = summariseProfile(file, { top: 40, window });
console.log('areas:', summary.areas.map((a) => `${a.area} ${a.pct}%`).join(', '));
for (const f of summary.functions) console.log(`  ${f.pct}%\t${f.name}\t${f.where}`);
console.log('castellan inclusive:');
for (const f of summary.castellan) console.log(`  ${f.pct}%\t${f.key}`);
