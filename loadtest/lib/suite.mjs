/**
 * Runs a list of scenarios against one Castellan (SQLite, or PostgreSQL with LOADTEST_DB=postgres),
 * plus the scenarios that start their own servers, and prints one table and one threshold list.
 * Used by `npm run loadtest` (full length, speed floors on) and `npm run loadtest:ci` (short,
 * correctness only). Returns the number of failed thresholds.
 */
import { makeFixture } from './fixtures.mjs';
import { printTable, printThresholds } from './report.mjs';
import { castellanBenchEnv, castellanEntry, startCastellan } from './servers.mjs';
import { prepareTarget } from './target.mjs';

export async function runSuite({ shared, own, options, only }) {
  castellanEntry();
  const wanted = (name) => !only || only.includes(name);
  const fixture = makeFixture();
  const db = process.env.LOADTEST_DB ?? 'sqlite';
  const rows = [];
  const thresholds = [];
  const record = (name, outcome) => {
    rows.push(...outcome.rows);
    thresholds.push(...outcome.thresholds);
    const failed = outcome.thresholds.filter((t) => !t.ok).length;
    console.log(`${failed === 0 ? 'ok  ' : 'FAIL'} ${name} (${outcome.rows.length} rows, ${failed} thresholds missed)`);
  };
  const server = await startCastellan({ fixture, db, env: castellanBenchEnv() });
  try {
    const target = await prepareTarget(server, fixture, `castellan-${db}`);
    for (const [name, scenario] of shared) if (wanted(name)) record(name, await scenario.run(target, { ...options, db, serverPids: [server.pid] }));
  } finally {
    await server.stop();
  }
  for (const [name, scenario] of own) if (wanted(name)) record(name, await scenario.run({ fixture }, { ...options, db }));
  console.log('');
  printTable(rows);
  console.log('');
  return printThresholds(thresholds);
}
