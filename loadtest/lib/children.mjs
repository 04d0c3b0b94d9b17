/**
 * Child processes for the servers under test: each server gets its own process (its own event loop),
 * the load generator stays in the bench process. Output goes to a log file; readiness is an HTTP
 * probe; stop() sends SIGTERM and waits (a graceful exit is what writes a --cpu-prof profile).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** A directory for one run's files (databases, seed files, logs, profiles). */
export function tempDir(prefix = 'castellan-loadtest-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A free loopback port (asked of the OS, then released for the child to bind). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Children still running; killed if this process exits without stopping them (a crash, Ctrl-C). */
const running = new Set();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitReady(url, child, logFile, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before it was ready; see ${logFile}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`server not ready at ${url} after ${timeoutMs} ms; see ${logFile}`);
}

/**
 * Starts `node [nodeArgs] script [args]` with `env` added to this process's environment, and waits
 * until `readyUrl` answers 2xx. Returns { child, pid, logFile, stop() }.
 */
export async function startChild({ name, script, args = [], nodeArgs = [], env = {}, readyUrl, logFile, timeoutMs = 60_000 }) {
  const log = createWriteStream(logFile);
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));
  try {
    await waitReady(readyUrl, child, logFile, timeoutMs);
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
  let stopping;
  const stop = (graceMs = 20_000) => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const result = await exited;
        clearTimeout(timer);
        log.end();
        return result;
      }
      log.end();
      return { code: child.exitCode, signal: child.signalCode };
    })();
    return stopping;
  };
  return { name, child, pid: child.pid, logFile, spawnedAt, stop };
}
