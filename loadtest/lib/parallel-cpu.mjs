/**
 * How much more CPU time the same work takes when every core of this machine is busy at once, as
 * with one worker per core. Virtual cores may be hardware threads of fewer physical cores, or
 * share caches and memory bandwidth; then two processes each spend more CPU on the same work than
 * one alone, whatever the server does. The bench reports this beside "CPU per request, auto
 * workers over one", so a reader can tell the machine's share of that ratio from Castellan's.
 *
 * The workload is what a token request spends most of its CPU on: RS256 signatures (2048-bit key)
 * and JSON. Each copy runs in its own process (child_process.fork of this file) and reports its own
 * CPU time (process.cpuUsage), so the parent and the scheduler's other work are not counted.
 */
import { fork } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const ITERATIONS = 2000;

/** In a child: the CPU milliseconds one fixed batch of signing work took. */
function runBatch() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const claims = { iss: 'https://issuer.example', sub: 'client', aud: 'https://issuer.example', scope: 'api', jti: '' };
  // Warm up the JIT and OpenSSL before the measured batch.
  for (let i = 0; i < 50; i += 1) sign('sha256', Buffer.from(JSON.stringify({ ...claims, jti: String(i) })), privateKey);
  const before = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i += 1) {
    const payload = Buffer.from(JSON.stringify({ ...claims, jti: String(i), iat: Date.now() }));
    JSON.parse(payload.toString('utf8'));
    sign('sha256', payload, privateKey);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** A batch takes under a second here; a child silent for this long is stuck, not slow. */
const CHILD_DEADLINE_MS = 60_000;

/** One child's CPU milliseconds; rejects if it exits before reporting or misses the deadline. */
function runChild(self) {
  return new Promise((resolve, reject) => {
    const child = fork(self, ['--batch'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let settled = false;
    const settle = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      fn(value);
    };
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      settle(reject, new Error(`parallel-cpu child sent no result within ${CHILD_DEADLINE_MS} ms`));
    }, CHILD_DEADLINE_MS);
    child.once('message', (message) => settle(resolve, message.cpuMs));
    child.once('error', (error) => settle(reject, error));
    // Any exit before the message, even with code 0, would otherwise leave the promise pending.
    child.once('exit', (code, signal) => settle(reject, new Error(`parallel-cpu child exited (${signal ?? code}) before reporting`)));
  });
}

/** Runs `copies` children at once; resolves with each one's CPU milliseconds. */
function runCopies(copies) {
  const self = fileURLToPath(import.meta.url);
  return Promise.all(Array.from({ length: copies }, () => runChild(self)));
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * { alone, together, copies, inflation }: CPU ms of the batch alone (best of two runs) and with
 * `copies` (default: every core) at once (mean per copy), and their ratio.
 */
export async function parallelCpuInflation(copies) {
  const alone = Math.min(...(await runCopies(1)), ...(await runCopies(1)));
  const together = mean(await runCopies(copies));
  return { alone, together, copies, inflation: together / alone };
}

if (process.argv.includes('--batch') && process.send) {
  process.send({ cpuMs: runBatch() }, () => process.exit(0));
}
