/**
 * Server start-up: listens and serves discovery, applies SEED_FILE idempotently, checks key rotation
 * at start and on a timer, and shuts down cleanly. Runs on SQLite files (startServer opens
 * DATABASE_URL itself; the stores are covered on PostgreSQL by test/storage).
 * @spec https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationResponse
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.js';
import { SeedError } from '../../src/seed/seed-file.js';
import { ROTATION_CHECK_INTERVAL_MS, startServer, type RunningServer } from '../../src/server/start.js';
import { testClock } from '../support/test-context.js';

const running: RunningServer[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(running.splice(0).map((server) => server.close()));
});

function config(overrides: Partial<Config> = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), 'castellan-start-'));
  return loadConfig({}, { port: 0, databaseUrl: `sqlite:${join(dir, 'castellan.sqlite')}`, masterKeyFile: join(dir, 'master.key'), logLevel: 'silent', ...overrides });
}

async function start(cfg: Config, options: Parameters<typeof startServer>[1] = {}): Promise<RunningServer> {
  const server = await startServer(cfg, { handleSignals: false, ...options });
  running.push(server);
  return server;
}

const activeKids = async (server: RunningServer) => (await server.ctx.stores.keys.listAll()).filter((k) => k.state === 'active').map((k) => k.kid).sort();

describe('startServer (SQLite file)', () => {
  it('listens on the configured port and serves discovery with the issuer, and the JWKS', async () => {
    const server = await start(config({ issuer: 'http://localhost:3999' }));
    expect(server.port).toBeGreaterThan(0);
    const discovery = await fetch(`http://127.0.0.1:${server.port}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(await discovery.json()).toMatchObject({ issuer: 'http://localhost:3999', jwks_uri: 'http://localhost:3999/jwks' });
    const jwks = (await (await fetch(`http://127.0.0.1:${server.port}/jwks`)).json()) as { keys: { kid: string }[] };
    // An active and a next key for each of RS256, PS256, ES256 and EdDSA.
    expect(jwks.keys.length).toBe(8);
  });

  it('close() stops listening and closes the database', async () => {
    const server = await startServer(config(), { handleSignals: false });
    await server.close();
    await expect(fetch(`http://127.0.0.1:${server.port}/.well-known/openid-configuration`)).rejects.toThrow();
    await expect(server.ctx.stores.clients.list()).rejects.toThrow();
    await server.close(); // a second close is harmless
  });

  it('applies SEED_FILE at start, and leaves existing entries alone on the next start', async () => {
    const cfg = config({ seedFile: 'seed/example.json' });
    const first = await start(cfg);
    const clients = (await first.ctx.stores.clients.list()).map((c) => c.clientId);
    expect(clients).toEqual(['staging-native', 'staging-service', 'staging-web']);
    const alice = await first.ctx.stores.users.findByUsername('alice');
    await first.close();
    const second = await start(cfg);
    expect((await second.ctx.stores.users.list()).map((u) => u.id)).toEqual([alice!.id]);
    expect(await second.ctx.stores.audit.list({ type: 'client.created' })).toHaveLength(3);
  });

  it('refuses to start with a bad SEED_FILE, leaving the port closed and nothing written', async () => {
    const cfg = config();
    const seedFile = join(mkdtempSync(join(tmpdir(), 'castellan-seed-')), 'bad.json');
    writeFileSync(seedFile, JSON.stringify({ users: [{ username: 'x', password: 'short pw' }] }));
    await expect(startServer({ ...cfg, seedFile }, { handleSignals: false })).rejects.toThrow(SeedError);
    const server = await start(cfg);
    expect(await server.ctx.stores.users.list()).toEqual([]);
  });

  it('reports a port already in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startServer(config({ port }), { handleSignals: false })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      blocker.close();
    }
  });

  it('rotates keys at start when the active keys are older than KEY_ROTATION_INTERVAL', async () => {
    const cfg = config({ keyRotationInterval: 86_400 });
    const clock = testClock({ frozen: true });
    const first = await start(cfg, { clock });
    const before = await activeKids(first);
    await first.close();
    clock.advance(86_399);
    const notYet = await start(cfg, { clock });
    expect(await activeKids(notYet)).toEqual(before);
    await notYet.close();
    clock.advance(1);
    const due = await start(cfg, { clock });
    const after = await activeKids(due);
    expect(after).toHaveLength(4); // one active key per alg: RS256, PS256, ES256, EdDSA
    expect(after.some((kid) => before.includes(kid))).toBe(false);
  });

  it('checks rotation again every hour while running', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = testClock({ frozen: true });
    const server = await start(config({ keyRotationInterval: 3_600 }), { clock });
    const before = await activeKids(server);
    clock.advance(3_600);
    vi.advanceTimersByTime(ROTATION_CHECK_INTERVAL_MS);
    await vi.waitFor(async () => expect((await activeKids(server)).some((kid) => before.includes(kid))).toBe(false), { timeout: 10_000 });
  });

  it('installs SIGTERM and SIGINT handlers that shut down gracefully, and removes them on close', async () => {
    const existing = process.listeners('SIGTERM');
    const sigint = process.listenerCount('SIGINT');
    const server = await startServer(config(), { handleSignals: true });
    const added = process.listeners('SIGTERM').filter((listener) => !existing.includes(listener));
    expect(added).toHaveLength(1);
    expect(process.listenerCount('SIGINT')).toBe(sigint + 1);
    (added[0] as (signal: NodeJS.Signals) => void)('SIGTERM');
    await vi.waitFor(() => expect(server.server.listening).toBe(false));
    await server.close();
    expect(process.listeners('SIGTERM')).toEqual(existing);
    expect(process.listenerCount('SIGINT')).toBe(sigint);
  });
});
