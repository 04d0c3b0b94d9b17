#!/usr/bin/env node
/**
 * `npm run conformance`: drives a running OpenID Foundation conformance suite through its REST API
 * against a running Castellan. For each plan in conformance/plans.json it creates the plan with its
 * configuration, runs every module in order, waits for each, and writes a per-module table (JSON and
 * Markdown) under conformance/results/. Exits non-zero on any FAILED result, or any WARNING, SKIPPED,
 * REVIEW or unfinished module that conformance/expected.json does not list with a reason.
 *
 * Environment: CONFORMANCE_SERVER (the suite's base URL, default https://localhost:8443/),
 * CONFORMANCE_TOKEN (API token, not needed in the suite's dev mode), PLANS_FILE (the plan list,
 * default plans.json; plans-fapi2.json holds the FAPI 2.0 plans, not run by default), PLANS
 * (comma-separated plan names from that file, run in that order; default all, in file order), RESULTS_DIR (default results/),
 * MODULE_TIMEOUT (seconds, default 240), ROTATE_KEYS_COMMAND (a shell command that rotates the OP's
 * signing keys, e.g. `node dist/cli/main.js keys rotate` with the run's environment; when set,
 * oidcc-server-rotate-keys, which waits for an operator to rotate the keys and press Start, is
 * driven: the command runs, then after ROTATE_KEYS_WAIT seconds (default 65, Castellan's key reload
 * interval plus margin) the module is started), RESULTS_MERGE (when 1, the plans of an existing
 * results.json that this run does not run are kept, so plans run separately add up to one table).
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const server = (process.env.CONFORMANCE_SERVER ?? 'https://localhost:8443/').replace(/\/?$/, '/');
const timeoutSeconds = Number(process.env.MODULE_TIMEOUT ?? 240);
// The suite runs locally with a self-signed certificate; only this runner's calls to it are affected.
process.env.NODE_TLS_REJECT_UNAUTHORIZED ??= '0';

const plans = JSON.parse(readFileSync(join(here, process.env.PLANS_FILE ?? 'plans.json'), 'utf8'));
const expected = JSON.parse(readFileSync(join(here, 'expected.json'), 'utf8'));
const selected = process.env.PLANS ? process.env.PLANS.split(',') : plans.map((p) => p.name);
const unknown = selected.filter((name) => !plans.some((p) => p.name === name));
if (unknown.length > 0) {
  console.error(`PLANS names plans that ${process.env.PLANS_FILE ?? 'plans.json'} does not hold: ${unknown.join(', ')}`);
  process.exit(2);
}

async function api(method, path, { params, body } = {}) {
  const url = new URL(`api/${path}`, server);
  for (const [name, value] of Object.entries(params ?? {})) url.searchParams.set(name, value);
  const headers = { 'content-type': 'application/json' };
  if (process.env.CONFORMANCE_TOKEN) headers.authorization = `Bearer ${process.env.CONFORMANCE_TOKEN}`;
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url.pathname} -> ${response.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : {};
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function rotateKeysAndStart(id) {
  console.log(`  (rotating the OP's keys: ${process.env.ROTATE_KEYS_COMMAND})`);
  execSync(process.env.ROTATE_KEYS_COMMAND, { stdio: 'ignore' });
  await sleep(Number(process.env.ROTATE_KEYS_WAIT ?? 65) * 1000);
  await api('POST', `runner/${id}`);
}

async function waitForModule(id, testModule) {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let rotated = false;
  for (;;) {
    const info = await api('GET', `info/${id}`);
    if (testModule === 'oidcc-server-rotate-keys' && process.env.ROTATE_KEYS_COMMAND && !rotated && ['CONFIGURED', 'WAITING'].includes(info.status)) {
      rotated = true;
      await rotateKeysAndStart(id);
      continue;
    }
    if (['FINISHED', 'INTERRUPTED'].includes(info.status)) return info;
    // WAITING with nothing left for the browser means the module needs a human (e.g. an image upload).
    if (Date.now() > deadline) return { ...info, result: info.result ?? 'TIMEOUT' };
    await sleep(1000);
  }
}

/** Why a non-PASSED result is acceptable, or undefined. */
function expectation(planName, module, result) {
  const entry = expected.find((e) => e.plan === planName && e.module === module);
  return entry && entry.results.includes(result) ? entry.reason : undefined;
}

async function runPlan(plan, version) {
  const config = JSON.parse(readFileSync(join(here, plan.config), 'utf8'));
  // One configuration serves plans whose variants need differently registered clients (a DPoP-bound
  // or a certificate-bound one, say): the entry names its two clients.
  if (plan.client_ids) [config.client.client_id, config.client2.client_id] = plan.client_ids;
  const created = await api('POST', 'plan', { params: { planName: plan.plan, variant: JSON.stringify(plan.variant) }, body: config });
  console.log(`plan ${plan.name}: ${created.id} (${created.modules.length} modules)`);
  const rows = [];
  for (const module of created.modules) {
    const variant = module.variant ? JSON.stringify(module.variant) : undefined;
    const started = await api('POST', 'runner', { params: { test: module.testModule, plan: created.id, ...(variant ? { variant } : {}) } });
    const info = await waitForModule(started.id, module.testModule);
    const result = info.result ?? info.status;
    const reason = result === 'PASSED' ? '' : expectation(plan.name, module.testModule, result);
    const ok = result === 'PASSED' || reason !== undefined;
    rows.push({ module: module.testModule, id: started.id, status: info.status, result, expected: reason ?? null, ok });
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${module.testModule}: ${result}${reason ? ` (expected: ${reason})` : ''}`);
  }
  return { name: plan.name, plan: plan.plan, variant: plan.variant, planId: created.id, suiteVersion: version, finishedAt: new Date().toISOString(), rows };
}

function markdown(report) {
  const lines = ['# Conformance results', '', `Suite: ${report.suiteVersion} at ${report.server}; run ${report.finishedAt}.`, ''];
  for (const plan of report.plans) {
    const passed = plan.rows.filter((r) => r.result === 'PASSED').length;
    const tally = {};
    for (const row of plan.rows) tally[row.result] = (tally[row.result] ?? 0) + 1;
    const counts = Object.entries(tally).map(([result, n]) => `${n} ${result}`).join(', ');
    lines.push(`## ${plan.name} (${plan.plan} ${JSON.stringify(plan.variant)})`, '', `${passed}/${plan.rows.length} PASSED (${counts}); plan id ${plan.planId}${plan.finishedAt ? `, finished ${plan.finishedAt}` : ''}.`, '', '| module | result | accepted because |', '|---|---|---|');
    for (const row of plan.rows) lines.push(`| ${row.module} | ${row.result} | ${row.result === 'PASSED' ? '' : row.expected ?? '**not expected**'} |`);
    lines.push('');
  }
  return lines.join('\n');
}

const serverInfo = await api('GET', 'server').catch(() => ({}));
const version = serverInfo.version ?? 'unknown';
const report = { server, suiteVersion: version, plans: [] };
const out = process.env.RESULTS_DIR ?? join(here, 'results');
mkdirSync(out, { recursive: true });
/** With RESULTS_MERGE=1, the plans the file holds now that this run does not run (read at each write, so two runs of different plans can share a directory). */
function keptPlans() {
  if (process.env.RESULTS_MERGE !== '1' || !existsSync(join(out, 'results.json'))) return [];
  return JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).plans.filter((plan) => !selected.includes(plan.name));
}
function write() {
  report.finishedAt = new Date().toISOString();
  const order = (plan) => plans.findIndex((p) => p.name === plan.name);
  const ran = report.plans.filter((plan) => selected.includes(plan.name));
  report.plans = [...keptPlans(), ...ran].sort((a, b) => order(a) - order(b));
  writeFileSync(join(out, 'results.json'), JSON.stringify(report, null, 2));
  writeFileSync(join(out, 'results.md'), markdown(report));
}
// Written after each plan, so a long run that is stopped keeps the plans it finished.
for (const plan of selected.map((name) => plans.find((p) => p.name === name))) {
  report.plans.push(await runPlan(plan, version));
  write();
}
write();
const failures = report.plans.filter((p) => selected.includes(p.name)).flatMap((p) => p.rows.filter((r) => !r.ok).map((r) => `${p.name}/${r.module}: ${r.result}`));
console.log(failures.length === 0 ? 'all modules passed or expected' : `${failures.length} unexpected results:\n  ${failures.join('\n  ')}`);
process.exit(failures.length === 0 ? 0 : 1);
