/**
 * PostgreSQL CPU spent for one database: the backends whose process title names it (PostgreSQL
 * sets `postgres: user database address state`), counted per process. Unlike a machine-wide sum
 * of every `postgres` process, other users' databases are left out, and a backend that exits
 * during the interval (a pool closing an idle connection) loses only its own share instead of
 * taking its whole past CPU time off the total.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function ticksOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Ticks per backend process of `database`. */
export function pgSnapshot(database) {
  const byPid = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (title.split(/\s+/).includes(database)) byPid.set(name, ticksOf(name));
    } catch {
      // exited meanwhile
    }
  }
  return { at: Date.now(), byPid };
}

/** CPU milliseconds the database's backends used between two snapshots (new backends counted whole). */
export function pgCpuMs(before, after) {
  let ticks = 0;
  for (const [pid, value] of after.byPid) ticks += value - (before.byPid.get(pid) ?? 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}
