/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per area
 * (a package in node_modules, a folder of Castellan's dist/, node internals, GC, idle), so a report
 * can say where the server's time goes under load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './children.mjs';

function area(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'program (native, unattributed)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  const dist = /\/dist\/([^/]+)\//.exec(url);
  if (dist) return `castellan ${dist[1]}/`;
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
}

/**
 * { totalMs, functions: [{name, where, ms, pct}], areas: [{area, ms, pct}] } for one profile file.
 * `window` ({ fromMs, toMs } since the process started) keeps only the samples of the measured load,
 * leaving out start-up (module loading, seeding with argon2id) and shutdown.
 */
export function summariseProfile(file, { top = 25, window } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    const sinceStartMs = (at - profile.startTime) / 1000;
    if (window && (sinceStartMs < window.fromMs || sinceStartMs > window.toMs)) continue;
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + delta);
  }
  const functions = new Map();
  const areas = new Map();
  const inclusive = new Map();
  let total = 0;
  const frameKey = (callFrame) => `${callFrame.functionName || '(anonymous)'} ${callFrame.url.replace(/^file:\/\/.*?\/dist\//, 'dist/')}:${callFrame.lineNumber + 1}`;
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id);
    const where = callFrame.url ? `${callFrame.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${callFrame.lineNumber + 1}` : '';
    const key = `${callFrame.functionName || '(anonymous)'} ${where}`;
    const entry = functions.get(key) ?? { name: callFrame.functionName || '(anonymous)', where, micros: 0 };
    entry.micros += micros;
    functions.set(key, entry);
    const group = area(callFrame.url, callFrame.functionName);
    areas.set(group, (areas.get(group) ?? 0) + micros);
    total += micros;
    // Inclusive time of Castellan's own functions: each counted once per stack.
    const seen = new Set();
    for (let node = id; node !== undefined; node = parent.get(node)) {
      const frame = byId.get(node).callFrame;
      if (!/\/dist\//.test(frame.url) || /node_modules/.test(frame.url)) continue;
      const key = frameKey(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
    }
  }
  const pct = (micros) => Math.round((1000 * micros) / total) / 10;
  return {
    totalMs: Math.round(total / 1000),
    functions: [...functions.values()].sort((a, b) => b.micros - a.micros).slice(0, top).map((f) => ({ name: f.name, where: f.where, ms: Math.round(f.micros / 1000), pct: pct(f.micros) })),
    castellan: [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, micros]) => ({ key, ms: Math.round(micros / 1000), pct: pct(micros) })),
    areas: [...areas].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, micros]) => ({ area: name, ms: Math.round(micros / 1000), pct: pct(micros) })),
  };
}

/**
 * Starts a server with `start(profDir)` (which must pass --cpu-prof into profDir), runs
 * `work(server, onMeasured)` against it and stops it. Returns { outcome, file, window }: what work
 * returned, the server's .cpuprofile (undefined when it did not exit cleanly) and the measured
 * window in ms since the server was spawned, for summariseProfile.
 */
export async function profileUnderLoad(start, work) {
  const dir = tempDir('castellan-profile-');
  const server = await start(dir);
  let window;
  let outcome;
  try {
    outcome = await work(server, ({ from, to }) => {
      window = { fromMs: from - server.spawnedAt, toMs: to - server.spawnedAt };
    });
  } finally {
    await server.stop();
  }
  const [file] = profilesIn(dir);
  return { outcome, file, window };
}

export function profilesIn(dir) {
  return readdirSync(dir).filter((name) => name.endsWith('.cpuprofile')).map((name) => join(dir, name));
}

export function profileMarkdown(summary, title) {
  const lines = [`#### ${title}`, '', `Sampled ${summary.totalMs.toLocaleString('en-US')} ms of the server process.`, '', '| area | self ms | % |', '| --- | ---: | ---: |'];
  for (const a of summary.areas.slice(0, 15)) lines.push(`| ${a.area} | ${a.ms} | ${a.pct} |`);
  lines.push('', '| function | where | self ms | % |', '| --- | --- | ---: | ---: |');
  for (const f of summary.functions.slice(0, 20)) lines.push(`| \`${f.name}\` | ${f.where} | ${f.ms} | ${f.pct} |`);
  lines.push('', '| Castellan function (inclusive) | ms | % |', '| --- | ---: | ---: |');
  for (const f of summary.castellan.slice(0, 15)) lines.push(`| \`${f.key}\` | ${f.ms} | ${f.pct} |`);
  return lines.join('\n');
}
