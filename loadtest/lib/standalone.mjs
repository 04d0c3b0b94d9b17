/**
 * Running one scenario file by itself (`node loadtest/scenarios/x.mjs`): starts Castellan on
 * SQLite (LOADTEST_DB=postgres for PostgreSQL) with the bench fixture, runs the scenario, prints the
 * table and thresholds, stops the server, and exits non-zero when a threshold is missed.
 */
import { pathToFileURL } from 'node:url';
import { makeFixture } from './fixtures.mjs';
import { printTable, printThresholds } from './report.mjs';
import { castellanBenchEnv, startCastellan } from './servers.mjs';
import { prepareTarget } from './target.mjs';

export const isMain = (moduleUrl) => process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === moduleUrl;

export async function runStandalone(moduleUrl, run, options = {}) {
  if (!isMain(moduleUrl)) return;
  const fixture = makeFixture();
  const db = process.env.LOADTEST_DB ?? 'sqlite';
  const settings = { floors: process.env.LOADTEST_FLOORS !== '0', db, ...options };
  // Scenarios that configure their own servers (rate limits, several nodes) get only the fixture.
  const server = options.ownServers ? undefined : await startCastellan({ fixture, db, env: castellanBenchEnv() });
  let failed = 1;
  try {
    const target = server ? await prepareTarget(server, fixture, `castellan-${db}`) : { fixture };
    const outcome = await run(target, { ...settings, serverPids: server ? [server.pid] : [] });
    printTable(outcome.rows);
    failed = printThresholds(outcome.thresholds);
  } finally {
    await server?.stop();
  }
  process.exit(failed > 0 ? 1 : 0);
}
