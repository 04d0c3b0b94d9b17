/**
 * Printing results: a fixed-width table for the terminal, Markdown tables for RESULTS.md, the
 * machine and version facts, and a threshold summary.
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem, release, platform, loadavg } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT } from './children.mjs';

/** A number with thousands separators and `digits` decimals; `missing` for no value. */
export const formatNumber = (value, digits = 0, missing = '-') => (value === undefined || value === null || Number.isNaN(value) ? missing : Number(value).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

const fmt = (value, digits = 0) => formatNumber(value, digits);

/** Columns of a result row. Flow scenarios report iterations/s beside requests/s. */
export const COLUMNS = [
  ['scenario', (r) => r.label],
  ['server', (r) => r.target],
  ['req/s', (r) => (r.available === false ? 'n/a' : fmt(r.rps))],
  ['flows/s', (r) => (r.available === false ? '' : r.stepsPerIteration > 1 ? fmt(r.iterationsPerSec) : '')],
  ['p50 ms', (r) => (r.available === false ? '' : fmt(r.p50, 1))],
  ['p90 ms', (r) => (r.available === false ? '' : fmt(r.p90, 1))],
  ['p99 ms', (r) => (r.available === false ? '' : fmt(r.p99, 1))],
  ['errors', (r) => (r.available === false ? '' : fmt(r.errors + r.unexpected))],
  ['non-2xx', (r) => (r.available === false ? '' : fmt(r.non2xx))],
  // Server CPU per request (PostgreSQL's included): steadier than req/s when other work shares the machine.
  ['cpu ms/req', (r) => (r.available === false ? '' : fmt(cpuMsPerRequest(r), 2))],
  // Percent of one core (200 = both cores) used by the server, PostgreSQL, the generator, anything else.
  ['cpu srv/pg/gen/other %', (r) => (r.cpu ? `${r.cpu.server}/${r.cpu.postgres}/${r.cpu.generator}/${r.cpu.other}` : '')],
];

/** CPU milliseconds the server (and PostgreSQL) spent per completed request of a row. */
export function cpuMsPerRequest(row) {
  if (!row?.cpu || !row.rps) return undefined;
  return (10 * (row.cpu.server + row.cpu.postgres)) / row.rps;
}

export function printTable(rows, out = console.log) {
  const cells = rows.map((row) => COLUMNS.map(([, get]) => String(get(row))));
  const widths = COLUMNS.map(([title], i) => Math.max(title.length, ...cells.map((c) => c[i].length)));
  const line = (values) => values.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  out(line(COLUMNS.map(([title]) => title)));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) out(line(c));
}

export function markdownTable(headers, rows) {
  return [`| ${headers.join(' | ')} |`, `| ${headers.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function resultsMarkdown(rows) {
  return markdownTable(COLUMNS.map(([title]) => title), rows.map((row) => COLUMNS.map(([, get]) => String(get(row)))));
}

export function printThresholds(thresholds, out = console.log) {
  // A skipped check (not run in this mode, said why in its detail) counts as passed but shows as SKIP.
  for (const t of thresholds) out(`${t.skipped ? 'SKIP' : t.ok ? 'PASS' : 'FAIL'}  ${t.name}  (${t.detail})`);
  const failed = thresholds.filter((t) => !t.ok).length;
  out(`${thresholds.length - failed} passed, ${failed} failed`);
  return failed;
}

const version = (name) => {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
};

function postgresVersion() {
  try {
    return execFileSync('psql', ['postgres://castellan:castellan@127.0.0.1:5432/castellan', '-tAc', 'show server_version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'not reachable';
  }
}

export function machineInfo() {
  const cpu = cpus();
  const castellan = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  return {
    cpu: cpu[0]?.model?.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    loadavg: loadavg().map((v) => v.toFixed(2)).join(' '),
    node: process.version,
    versions: {
      castellan,
      'oidc-provider': version('oidc-provider'),
      autocannon: version('autocannon'),
      express: version('express'),
      jose: version('jose'),
      knex: version('knex'),
      'better-sqlite3': version('better-sqlite3'),
      ioredis: version('ioredis'),
      pg: version('pg'),
      argon2: version('argon2'),
      PostgreSQL: postgresVersion(),
    },
  };
}
