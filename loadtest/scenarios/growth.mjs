/**
 * Growth (`npm run loadtest:growth`): does a large store make requests dearer, and does the
 * retention pass keep storage bounded? For SQLite and PostgreSQL (GROWTH_DBS=sqlite,postgres):
 * 1. introspection of opaque tokens and client credentials requests (opaque tokens: the request's
 *    cost is mostly the store's) against the seeded store: req/s, p50/p99, CPU ms per request;
 * 2. GROWTH_ROWS (1,000,000) live access tokens (expiring in 1-2 h), a grant each, inserted beside
 *    the running node;
 * 3. the same load again. Judged on CPU ms per request (Castellan's process, plus PostgreSQL's on
 *    PostgreSQL), far steadier than req/s on a shared machine: after <= 1.10 x before;
 * 4. GROWTH_EXPIRED (120,000) expired rows in every table the retention pass cleans, plus audit
 *    rows beyond retention; the pass each node runs (purgeExpired with DEFAULT_RETENTION,
 *    src/storage/knex/retention.ts) run back to back: counts go down in batches, live rows stay,
 *    and what one pass can delete is compared with the token rate just measured.
 * Each measurement is taken GROWTH_REPEATS (3) times for GROWTH_DURATION (8) s; the least disturbed
 * (lowest CPU per request) counts. Bounded: about 4 minutes per database with the defaults.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { insertExpired, insertTokens, openCastellanDatabase, countRows, RETAINED_TABLES } from '../lib/bulk-rows.mjs';
import { ROOT } from '../lib/children.mjs';
import { pgCpuMs, pgSnapshot } from '../lib/pg-cpu.mjs';
import { CLIENTS, makeFixture } from '../lib/fixtures.mjs';
import { printTable, printThresholds } from '../lib/report.mjs';
import { runLoad } from '../lib/runner.mjs';
import { castellanBenchEnv, castellanEntry, postgresAvailable, startCastellan } from '../lib/servers.mjs';
import { clientCredentialsTokens, prepareTarget } from '../lib/target.mjs';
import { threshold } from '../lib/thresholds.mjs';
import { clientCredentialsSteps } from './client-credentials.mjs';
import { introspectionSteps } from './introspection.mjs';

const ROWS = Number(process.env.GROWTH_ROWS ?? 1_000_000);
const EXPIRED = Number(process.env.GROWTH_EXPIRED ?? 120_000);
const DURATION = Number(process.env.GROWTH_DURATION ?? 8);
const REPEATS = Number(process.env.GROWTH_REPEATS ?? 3);
const MAX_RATIO = 1.1;
const now = () => Math.floor(Date.now() / 1000);

/**
 * The least disturbed of REPEATS runs of `steps` (lowest CPU ms per request: the node's, plus on
 * PostgreSQL its backends' for this database, lib/pg-cpu.mjs), every run's figure in `runs`.
 */
async function measure(target, steps, label, database, pid) {
  const all = [];
  for (let i = 0; i < REPEATS; i += 1) {
    await runLoad(target.url, steps, { duration: i === 0 ? 5 : 1, warmup: 0, connections: 16 });
    const pgBefore = database && pgSnapshot(database);
    const row = { label, target: target.name, ...(await runLoad(target.url, steps, { duration: DURATION, warmup: 0, connections: 16, serverPids: [pid] })) };
    const pgMs = database ? pgCpuMs(pgBefore, pgSnapshot(database)) / row.requests : 0;
    // The table's PostgreSQL share is this database's backends only (the machine-wide figure includes other users).
    if (database) row.cpu = { ...row.cpu, postgres: Math.round((pgMs * row.rps) / 10) };
    all.push({ ...row, cpuMs: (10 * row.cpu.server) / row.rps + pgMs });
  }
  const best = all.reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
  return { ...best, runs: all.map((r) => r.cpuMs), unexpected: all.reduce((sum, r) => sum + r.unexpected + r.errors, 0) };
}

async function measureBoth(target, tokens, database, pid, phase) {
  return {
    introspection: await measure(target, introspectionSteps(target, tokens), `introspection, ${phase}`, database, pid),
    token: await measure(target, clientCredentialsSteps(target, CLIENTS.ccOpaque, { expectJwt: false }), `client credentials (opaque), ${phase}`, database, pid),
  };
}

/**
 * Retention passes as each node runs them (purgeExpired with DEFAULT_RETENTION), back to back
 * until one deletes nothing, over EXPIRED expired rows per table; counts and DELETE statements.
 */
async function retentionDemo(db, log) {
  const { purgeExpired, DEFAULT_RETENTION: policy } = await import(pathToFileURL(join(ROOT, 'dist/storage/knex/retention.js')).href);
  const { RETENTION_INTERVAL_MS, BACKLOG_PAUSE_MS } = await import(pathToFileURL(join(ROOT, 'dist/security/audit-retention.js')).href);
  const at = now();
  const seconds = await insertExpired(db, { rows: EXPIRED, clientId: CLIENTS.ccOpaque, now: at, tokenCutoff: at - policy.graceSeconds, auditCutoff: at - policy.auditRetentionSeconds });
  log(`   inserted ${EXPIRED.toLocaleString('en-US')} expired rows in each of ${RETAINED_TABLES.length} tables in ${seconds.toFixed(1)} s`);
  const history = [await countRows(db, RETAINED_TABLES)];
  const statements = {};
  const onQuery = (query) => {
    const table = /^delete from [`"]?(\w+)/i.exec(query.sql)?.[1];
    if (table) statements[table] = (statements[table] ?? 0) + 1;
  };
  db.on('query', onQuery);
  const passes = [];
  for (let pass = 1; pass <= 5; pass += 1) {
    const started = Date.now();
    const deleted = await purgeExpired(db, now(), policy);
    passes.push({ pass, ms: Date.now() - started, deleted });
    history.push(await countRows(db, RETAINED_TABLES));
    if (Object.values(deleted).every((n) => n === 0)) break;
  }
  db.off('query', onQuery);
  return { history, passes, statements, policy, intervalSeconds: RETENTION_INTERVAL_MS / 1000, backlogPauseMs: BACKLOG_PAUSE_MS };
}

function printRetention({ history, passes, statements, policy }, log) {
  log(`   retention (DEFAULT_RETENTION): DELETEs of ${policy.batchSize} rows, at most ${policy.maxBatchesPerTable} per table per pass`);
  log(`   ${'table'.padEnd(20)} ${['before', ...passes.map((p) => `pass ${p.pass}`)].map((h) => h.padStart(10)).join(' ')}  DELETE statements`);
  for (const table of RETAINED_TABLES) {
    log(`   ${table.padEnd(20)} ${history.map((counts) => counts[table].toLocaleString('en-US').padStart(10)).join(' ')}  ${statements[table] ?? 0}`);
  }
  log(`   pass durations: ${passes.map((p) => `${p.ms} ms`).join(', ')}`);
}

async function growth(fixture, db, log) {
  const thresholds = [];
  const server = await startCastellan({ fixture, db, env: castellanBenchEnv() });
  let store = await openCastellanDatabase(server.databaseUrl);
  try {
    const target = await prepareTarget(server, fixture, `castellan-${db}`);
    const tokens = await clientCredentialsTokens(target, CLIENTS.ccOpaque, 500);
    const sizeBefore = await countRows(store, ['access_tokens', 'grants']);
    log(`-- ${db}: store before: ${JSON.stringify(sizeBefore)}`);
    const database = store.isPostgres ? new URL(server.databaseUrl).pathname.slice(1) : undefined;
    const before = await measureBoth(target, tokens, database, server.pid, 'seeded store');
    const at = now();
    const seconds = await insertTokens(store, { rows: ROWS, clientId: CLIENTS.ccOpaque, now: at, expiresAt: (n) => `(${at} + 3600 + (${n} % 3600))` });
    // What autovacuum would do shortly after such an insert, done now so it is not measured (PostgreSQL);
    // SQLite: the WAL is checkpointed into the database file.
    if (store.isPostgres) await store.raw('VACUUM ANALYZE access_tokens, grants');
    else await store.raw('PRAGMA wal_checkpoint(TRUNCATE)');
    // Idle connections of this pool are closed by the pool; none should be open while measuring.
    await store.destroy();
    store = await openCastellanDatabase(server.databaseUrl);
    const sizeAfter = await countRows(store, ['access_tokens', 'grants']);
    log(`-- ${db}: inserted ${ROWS.toLocaleString('en-US')} access tokens and grants in ${seconds.toFixed(1)} s; store now: ${JSON.stringify(sizeAfter)}`);
    const after = await measureBoth(target, tokens, database, server.pid, `+${(ROWS / 1e6).toLocaleString('en-US')}M tokens`);
    const rows = [before.introspection, after.introspection, before.token, after.token];
    for (const kind of ['introspection', 'token']) {
      const ratio = after[kind].cpuMs / before[kind].cpuMs;
      const name = `growth ${db}: ${kind === 'token' ? 'token endpoint (client credentials)' : 'introspection'} with ${ROWS.toLocaleString('en-US')} stored tokens costs within ${Math.round((MAX_RATIO - 1) * 100)}% of the seeded store (CPU ms/request)`;
      thresholds.push(threshold(name, ratio <= MAX_RATIO && after[kind].unexpected === 0 && before[kind].unexpected === 0,
        `${before[kind].cpuMs.toFixed(3)} -> ${after[kind].cpuMs.toFixed(3)} ms/request, x${ratio.toFixed(3)}; req/s ${Math.round(before[kind].rps)} -> ${Math.round(after[kind].rps)} (x${(after[kind].rps / before[kind].rps).toFixed(3)}); p99 ${before[kind].p99} -> ${after[kind].p99} ms; runs ${before[kind].runs.map((v) => v.toFixed(3))} / ${after[kind].runs.map((v) => v.toFixed(3))}`));
    }
    const retention = await retentionDemo(store, log);
    printRetention(retention, log);
    const [first, last] = [retention.history[0], retention.history.at(-1)];
    const perPass = retention.policy.batchSize * retention.policy.maxBatchesPerTable;
    // Exactly the expired rows go: live tokens (and everything the load wrote) stay.
    const exact = RETAINED_TABLES.every((t) => first[t] - last[t] === EXPIRED);
    const bounded = retention.passes.every((p) => Object.values(p.deleted).every((n) => n <= perPass));
    const batched = RETAINED_TABLES.every((t) => retention.statements[t] >= Math.ceil(EXPIRED / retention.policy.batchSize));
    thresholds.push(threshold(`retention ${db}: expired rows and old audit events are deleted in batches of ${retention.policy.batchSize}, at most ${perPass.toLocaleString('en-US')} per table per pass, live rows kept`, exact && bounded && batched,
      `${EXPIRED.toLocaleString('en-US')} expired rows per table gone after ${retention.passes.length - 1} passes (${retention.passes.map((p) => `${p.ms} ms`).join(', ')}), nothing else deleted: ${exact}`));
    // A pass that ends at its cap is followed by the next one after the backlog pause, so one node
    // deletes up to perPass rows per table per (pass time + pause): above that rate rows would pile up.
    const slowestPassMs = Math.max(...retention.passes.map((p) => p.ms));
    const sustainable = perPass / ((slowestPassMs + retention.backlogPauseMs) / 1000);
    const issuing = after.token.rps;
    thresholds.push(threshold(`retention ${db}: one node's passes keep up with the token endpoint's measured rate (storage bounded under steady load)`, sustainable >= issuing,
      `capped passes repeat after ${retention.backlogPauseMs} ms; the slowest pass took ${slowestPassMs} ms for at most ${perPass.toLocaleString('en-US')} rows per table: ${sustainable.toFixed(0)} tokens/s per node; measured ${issuing.toFixed(0)} tokens/s`));
    return { rows, thresholds };
  } finally {
    await store.destroy();
    await server.stop();
  }
}

castellanEntry();
const fixture = makeFixture();
const rows = [];
const thresholds = [];
for (const db of (process.env.GROWTH_DBS ?? 'sqlite,postgres').split(',')) {
  if (db === 'postgres' && !postgresAvailable()) {
    thresholds.push(threshold('growth postgres: PostgreSQL on 127.0.0.1', false, 'not reachable'));
    continue;
  }
  const outcome = await growth(fixture, db, console.log);
  rows.push(...outcome.rows);
  thresholds.push(...outcome.thresholds);
}
console.log('');
printTable(rows);
console.log('');
process.exit(printThresholds(thresholds) > 0 ? 1 : 0);
