/**
 * Who used the CPU during a measured row, from /proc: the server under test (its process, threads
 * included), PostgreSQL's processes, this load generator, and everything else on the machine. The
 * "other" share says how much a row was disturbed; waitForQuiet() holds a run until it is small.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const TICKS_PER_SECOND = 100;

function machineTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
}

function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the command name.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function postgresTicks() {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() === 'postgres') total += processTicks(name);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** `pid` and every process descended from it (a cluster primary's workers), from /proc. */
export function processTree(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  const tree = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift();
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** The local redis-server processes (their CPU is a Redis-backed server's, not "other"). */
export function redisServerPids() {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() === 'redis-server') pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

export function snapshot(serverPids = []) {
  return { at: Date.now(), machine: machineTicks(), servers: serverPids.reduce((sum, pid) => sum + processTicks(pid), 0), postgres: postgresTicks(), self: processTicks(process.pid) };
}

/** Percentages of one core over the interval: server, postgres, generator, other, and idle of all cores. */
export function usage(before, after) {
  const seconds = (after.at - before.at) / 1000;
  const pct = (ticks) => Math.round((100 * ticks) / TICKS_PER_SECOND / seconds);
  const busy = after.machine.busy - before.machine.busy;
  const server = after.servers - before.servers;
  const postgres = Math.max(0, after.postgres - before.postgres);
  const self = after.self - before.self;
  return { server: pct(server), postgres: pct(postgres), generator: pct(self), other: Math.max(0, pct(busy - server - postgres - self)), cores: cpus().length };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until other processes use less than `maxOtherPct` of one core over a 2 s sample, for at
 * most `maxWaitMs`; returns the last sample's "other" share (the caller reports it either way).
 */
export async function waitForQuiet({ maxOtherPct = 15, maxWaitMs = 300_000, log = () => undefined } = {}) {
  const deadline = Date.now() + maxWaitMs;
  let warned = false;
  for (;;) {
    const before = snapshot();
    await sleep(2000);
    const { other, postgres } = usage(before, snapshot());
    const busy = other + postgres;
    if (busy <= maxOtherPct || Date.now() >= deadline) return busy;
    if (!warned) log(`   waiting for the machine to be quiet (other processes use ${busy}% of a core)...`);
    warned = true;
  }
}

/** The quiet-machine rule of the bench and the ceiling (environment: BENCH_QUIET_WAIT s, BENCH_DISTURBED %, BENCH_RETRIES). */
export const QUIET = {
  maxWaitMs: Number(process.env.BENCH_QUIET_WAIT ?? 300) * 1000,
  /** A row measured while other processes used more than this share of one core is measured again. */
  disturbedPct: Number(process.env.BENCH_DISTURBED ?? 25),
  retries: Number(process.env.BENCH_RETRIES ?? 2),
};

/**
 * Measures one row on a quiet machine: waits until other processes are (nearly) idle, measures, and
 * when the row was disturbed anyway measures it again (at most QUIET.retries times), keeping the
 * least disturbed attempt. The same rule for every server; the kept row shows its "other" share.
 */
export async function measureQuietly(measureRow, { rowOf = (r) => r, log = () => undefined } = {}) {
  let best;
  for (let attempt = 0; attempt <= QUIET.retries; attempt += 1) {
    await waitForQuiet({ log, maxWaitMs: QUIET.maxWaitMs });
    const outcome = await measureRow();
    const other = rowOf(outcome).cpu?.other ?? 0;
    if (!best || other < (rowOf(best).cpu?.other ?? 0)) best = outcome;
    if (other <= QUIET.disturbedPct) break;
    log(`   disturbed (other processes used ${other}% of a core): measuring again`);
  }
  return best;
}
