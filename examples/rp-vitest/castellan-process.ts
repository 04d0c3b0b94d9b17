/**
 * Castellan as the system under test: started as a child process (`node dist/cli/main.js start`)
 * on a free port, SQLite in a temporary directory, the seed file of this suite, and the test control
 * API switched on behind a random admin token. `controls` wraps the API the tests call.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repository = resolve(here, '../..');

export interface Castellan {
  issuer: string;
  adminToken: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

export async function startCastellan(): Promise<Castellan> {
  const dir = mkdtempSync(join(tmpdir(), 'castellan-rp-example-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const adminToken = randomBytes(32).toString('base64url');
  // The parent's REDIS_URL (CI sets one) would move the rate-limit counters out of the process.
  const { REDIS_URL: _redis, DATABASE_URL: _database, ...inherited } = process.env;
  const child: ChildProcess = spawn(process.execPath, [join(repository, 'dist/cli/main.js'), 'start'], {
    cwd: repository,
    env: {
      ...inherited,
      PORT: String(port),
      ISSUER: issuer,
      DATABASE_URL: `sqlite:${join(dir, 'castellan.sqlite')}`,
      MASTER_KEY_FILE: join(dir, 'master.key'),
      SEED_FILE: join(here, 'seed.json'),
      TEST_CONTROL_ENABLED: 'true',
      ADMIN_TOKEN: adminToken,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`castellan exited with code ${child.exitCode} before serving`);
    try {
      if ((await fetch(`${issuer}/.well-known/openid-configuration`)).ok) return { issuer, adminToken, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  await stop();
  throw new Error('castellan did not serve discovery within 30 s');
}

/** The test control API of that server (README "Test control API"). */
export function controls(castellan: Castellan) {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${castellan.issuer}/admin/test/${path}`, {
      method,
      headers: { Authorization: `Bearer ${castellan.adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) throw new Error(`${method} /admin/test/${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  return {
    reset: () => call('POST', 'reset'),
    advanceClock: (advance: string | number) => call('POST', 'clock', { advance }),
    fail: (clientId: string, failure: string, count = 1) => call('POST', 'failures', { client_id: clientId, failure, count }),
    rotateKeys: () => call('POST', 'keys/rotate'),
  };
}
