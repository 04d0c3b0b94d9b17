#!/usr/bin/env node
/**
 * Generates CHECKLIST.md from the requirement catalogue in spec/*.json and the test runs' JSON
 * results (test-results/*.json, one file per backend run, written by vitest's json reporter; see
 * VITEST_RESULTS_FILE in vitest.config.ts). Fails when a MUST has no passing test, when a catalogue
 * entry names a test that did not run, when any catalogued test failed, or when an entry is malformed.
 *
 * A test reference is "<test file> > <describe> > ... > <test title>", with backend tags such as
 * "(sqlite)" or "on postgres" left out: a test that ran on several backends must pass on each, and
 * a requirement passes only when every test it names passed in every run where that test ran.
 *
 * Usage: node scripts/checklist.mjs [--check]   (RESULTS_DIR overrides test-results; --check writes nothing)
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const specDir = join(root, 'spec');
const resultsDir = resolve(root, process.env.RESULTS_DIR ?? 'test-results');
const checkOnly = process.argv.includes('--check');
const LEVELS = ['MUST', 'MUST NOT', 'REQUIRED', 'SHALL', 'SHALL NOT', 'SHOULD', 'SHOULD NOT', 'RECOMMENDED', 'MAY', 'OPTIONAL'];
const MUST_LEVELS = new Set(['MUST', 'MUST NOT', 'REQUIRED', 'SHALL', 'SHALL NOT']);
const ID_PATTERN = /^[A-Z0-9]+(-[A-Za-z0-9.]+)+$/;

const normalise = (name) =>
  name.replace(/\s*\((sqlite|postgres)\)/g, '').replace(/\s+on (sqlite|postgres)\b/g, '').replace(/\s+/g, ' ').trim();

/** test reference -> statuses, one per run in which it ran. */
function loadResults() {
  const results = new Map();
  const runs = [];
  if (!existsSync(resultsDir)) return { results, runs };
  for (const file of readdirSync(resultsDir).filter((f) => f.endsWith('.json')).sort()) {
    const report = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
    if (!Array.isArray(report.testResults)) continue;
    runs.push({ file, tests: report.numTotalTests ?? 0, failed: report.numFailedTests ?? 0 });
    for (const suite of report.testResults) {
      const path = relative(root, suite.name);
      for (const test of suite.assertionResults ?? []) {
        const ref = normalise([path, ...test.ancestorTitles, test.title].join(' > '));
        if (!results.has(ref)) results.set(ref, []);
        results.get(ref).push(test.status);
      }
    }
  }
  return { results, runs };
}

function loadCatalogue() {
  const problems = [];
  const specs = readdirSync(specDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...JSON.parse(readFileSync(join(specDir, file), 'utf8')) }));
  const ids = new Set();
  for (const spec of specs) {
    if (!spec.spec || !spec.title || !spec.url) problems.push(`${spec.file}: spec, title and url are required`);
    for (const req of spec.requirements ?? []) {
      if (!ID_PATTERN.test(req.id ?? '')) problems.push(`${spec.file}: malformed id ${req.id}`);
      if (ids.has(req.id)) problems.push(`${spec.file}: duplicate id ${req.id}`);
      ids.add(req.id);
      if (!LEVELS.includes(req.level)) problems.push(`${spec.file}: ${req.id} has level ${req.level}`);
      if (!req.text || !req.section || !req.module) problems.push(`${spec.file}: ${req.id} lacks text, section or module`);
      if (req.module && !existsSync(join(root, req.module))) problems.push(`${spec.file}: ${req.id} names missing module ${req.module}`);
      if (!Array.isArray(req.tests)) problems.push(`${spec.file}: ${req.id} has no tests array`);
      for (const ref of req.tests ?? []) {
        const file = ref.split(' > ')[0];
        if (!existsSync(join(root, file))) problems.push(`${spec.file}: ${req.id} names a test in missing file ${file}`);
      }
    }
    for (const item of spec.not_implemented ?? []) {
      if (!item.section || !item.what || !item.reason) problems.push(`${spec.file}: a not_implemented entry lacks section, what or reason`);
    }
  }
  return { specs, problems };
}

/** pass: every named test ran and passed in every run; fail: one failed somewhere; untested otherwise. */
function statusOf(req, results) {
  const outcomes = (req.tests ?? []).map((ref) => ({ ref, statuses: results.get(normalise(ref)) ?? [] }));
  const missing = outcomes.filter((o) => o.statuses.length === 0).map((o) => o.ref);
  const failing = outcomes.filter((o) => o.statuses.some((s) => s === 'failed')).map((o) => o.ref);
  const notPassed = outcomes.filter((o) => o.statuses.length > 0 && !o.statuses.every((s) => s === 'passed')).map((o) => o.ref);
  let state = 'pass';
  if (failing.length > 0) state = 'fail';
  else if (outcomes.length === 0 || missing.length > 0 || notPassed.length > 0) state = 'untested';
  return { state, missing, failing, notPassed };
}

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const RESULT = { pass: 'pass', fail: '**FAIL**', untested: '**untested**' };

/** "test/a/b.test.ts > d > t" -> "a/b > t" (the file without test/ and .test.ts, and the title). */
function shortTest(ref) {
  const parts = ref.split(' > ');
  const file = parts[0].replace(/^test\//, '').replace(/\.test\.ts$/, '');
  return `\`${cell(file)}\` › ${cell(parts[parts.length - 1])}`;
}

const { results, runs } = loadResults();
const { specs, problems } = loadCatalogue();
const totals = { all: 0, must: 0, mustPass: 0, pass: 0, fail: 0, untested: 0 };
const summary = [];
const body = [];

for (const spec of specs) {
  const counts = { all: 0, must: 0, mustPass: 0, pass: 0, fail: 0, untested: 0 };
  const rows = [];
  for (const req of spec.requirements ?? []) {
    const status = statusOf(req, results);
    const isMust = MUST_LEVELS.has(req.level);
    counts.all += 1;
    counts[status.state] += 1;
    if (isMust) counts.must += 1;
    if (isMust && status.state === 'pass') counts.mustPass += 1;
    const detail = [
      status.missing.length ? `tests not found: ${status.missing.join(' | ')}` : '',
      status.failing.length ? `failing: ${status.failing.join(' | ')}` : '',
      !status.failing.length && status.notPassed.length ? `not passed in every run: ${status.notPassed.join(' | ')}` : '',
    ].filter(Boolean).join('; ');
    if (isMust && status.state !== 'pass') problems.push(`${req.id} (${req.level}) is ${status.state}${detail ? `: ${detail}` : ''}`);
    else if (status.state === 'fail') problems.push(`${req.id} (${req.level}) has a failing test: ${detail}`);
    else if (status.state === 'untested' && (req.tests ?? []).length > 0 && status.missing.length > 0) {
      problems.push(`${req.id} (${req.level}) names tests that did not run: ${status.missing.join(' | ')}`);
    }
    const tests = (req.tests ?? []).map(shortTest).join('<br>') || '—';
    rows.push(`| ${req.id} | ${cell(req.section)} | ${req.level} | ${cell(req.text)} | \`${req.module}\` | ${tests} | ${RESULT[status.state]} |`);
  }
  for (const key of Object.keys(totals)) totals[key] += counts[key];
  // An explicit anchor per catalogue file: two files may share a spec name (ASVS chapters).
  const anchor = spec.file.replace(/\.json$/, '');
  summary.push(`| [${cell(spec.spec)}](#${anchor}) | ${cell(spec.title)} | ${counts.all} | ${counts.must} | ${counts.pass} | ${counts.fail} | ${counts.untested} | ${(spec.not_implemented ?? []).length} |`);
  body.push(`<a id="${anchor}"></a>`, '', `## ${spec.spec}: ${spec.title}`, '', `Source: <${spec.url}> (catalogue: \`spec/${spec.file}\`)`, '');
  body.push('| id | § | level | requirement | module | tests | result |', '|---|---|---|---|---|---|---|', ...rows, '');
  if ((spec.not_implemented ?? []).length > 0) {
    body.push('Deliberately not implemented:', '', '| § | what | why |', '|---|---|---|');
    for (const item of spec.not_implemented) body.push(`| ${cell(item.section)} | ${cell(item.what)} | ${cell(item.reason)} |`);
    body.push('');
  }
}

if (runs.length === 0) problems.unshift(`no test results in ${relative(root, resultsDir) || '.'}: run the tests first (npm test)`);

const lines = [
  '# Castellan requirement checklist',
  '',
  '<!-- Generated by `npm run checklist` from spec/*.json and the test runs in test-results/. Do not edit by hand. -->',
  '',
  `${totals.all} requirements catalogued in ${specs.length} specifications, ${totals.must} of them MUST-level; ` +
    `${totals.mustPass} of ${totals.must} MUSTs covered by passing tests.`,
  '',
  `Results: ${totals.pass} pass, ${totals.fail} fail, ${totals.untested} without a passing test, from ${runs.length} test run(s): ` +
    `${runs.map((run) => `${run.file} (${run.tests} tests, ${run.failed} failed)`).join(', ') || 'none'}.`,
  '',
  'A requirement passes when every test it names ran and passed in every run where it ran (SQLite and PostgreSQL).',
  '',
  '| specification | title | requirements | MUST | pass | fail | untested | not implemented |',
  '|---|---|---|---|---|---|---|---|',
  ...summary,
  '',
  ...body,
];

// Without any test results every requirement would read as untested: keep the committed checklist.
if (!checkOnly && runs.length > 0) writeFileSync(join(root, 'CHECKLIST.md'), lines.join('\n'));
else if (!checkOnly) console.error('CHECKLIST.md left unchanged: there are no test results to build it from');
console.log(`CHECKLIST.md: ${totals.all} requirements (${totals.must} MUST, ${totals.mustPass} of them passing); ${totals.pass} pass, ${totals.fail} fail, ${totals.untested} untested; ${runs.length} result file(s)`);
if (problems.length > 0) {
  console.error(`checklist problems (${problems.length}):\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}
