/**
 * Start and stop the servers under test, each in its own child process on 127.0.0.1:
 * Castellan on SQLite (a temp file), Castellan on PostgreSQL (a fresh database), each with one
 * worker or more (env WORKERS), oidc-provider on its in-memory, Redis or SQLite adapter, and the
 * ceiling servers of `npm run bench:ceiling` (lib/ceiling-server.mjs).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, freePort, startChild, tempDir } from './children.mjs';
import { processTree, redisServerPids } from './cpu.mjs';
import { flushPrefix, flushStalePrefixes } from './redis-adapter.mjs';
import { RESOURCE, castellanSeed, jwtClientIds, oidcProviderClients } from './fixtures.mjs';

export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://castellan:castellan@127.0.0.1:5432/castellan';
export const PG_BENCH_DB = process.env.BENCH_PG_DB ?? 'castellan_bench';

function psql(args, asSuperuser) {
  const base = ['-v', 'ON_ERROR_STOP=1', '-tA'];
  if (asSuperuser) return execFileSync('runuser', ['-u', 'postgres', '--', 'psql', ...base, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return execFileSync('psql', [PG_ADMIN_URL, ...base, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Drops and recreates the bench database owned by the castellan role, so every run starts from empty
 * tables. The castellan role may lack CREATEDB; then the postgres superuser (local peer auth) does it.
 */
export function freshPostgresDatabase(name = PG_BENCH_DB) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`);
  const url = new URL(PG_ADMIN_URL);
  const statements = [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, `CREATE DATABASE ${name} OWNER ${url.username}`];
  try {
    for (const sql of statements) psql(['-c', sql], false);
  } catch {
    for (const sql of statements) psql(['-d', 'postgres', '-c', sql], true);
  }
  url.pathname = `/${name}`;
  return url.toString();
}

export function postgresAvailable() {
  try {
    psql(['-c', 'select 1'], false);
    return true;
  } catch {
    return false;
  }
}

/**
 * Castellan's own settings inherited from the calling shell (CI exports REDIS_URL, a developer may
 * have CONFIG_FILE or RATE_LIMIT_* set) would change what is measured: each is blanked for the
 * child (an empty value counts as unset) unless the scenario sets it.
 */
export async function blankInheritedSettings() {
  const { SETTINGS } = await import(pathToFileURL(join(ROOT, 'dist/config/config.js')).href);
  // WORKERS is listed by name as well: a shell's WORKERS must not turn a 1-worker target into many
  // (an empty value counts as unset), also before the setting exists in this build.
  const names = [...new Set(['CONFIG_FILE', 'WORKERS', ...SETTINGS.map((setting) => setting.env)])];
  return Object.fromEntries(names.filter((name) => process.env[name] !== undefined).map((name) => [name, '']));
}

/** Castellan must have been built (`npm run build`); the scripts never build it themselves. */
export function castellanEntry() {
  const entry = join(ROOT, 'dist/cli/main.js');
  if (!existsSync(entry)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  return entry;
}

/**
 * Starts `castellan start` with the fixture's seed. `db` is 'sqlite' or 'postgres'; `env` adds
 * settings (rate limits, audit); `cpuProfDir` turns on --cpu-prof for this child; `port` restarts a
 * node where it listened before (a free port otherwise); `workers` above 1 runs that many worker
 * processes behind the child, which is then their primary (`pid` is the primary's).
 */
export async function startCastellan({ fixture, db = 'sqlite', env = {}, cpuProfDir, dir = tempDir(), name, databaseUrl: sharedDatabase, masterKey, issuer: sharedIssuer, port: fixedPort, workers } = {}) {
  const port = fixedPort ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  // Nodes behind one (imagined) load balancer share one issuer, whichever port each listens on.
  const issuer = sharedIssuer ?? url;
  const seedFile = join(dir, 'seed.json');
  writeFileSync(seedFile, JSON.stringify(castellanSeed(fixture)));
  // Nodes of one deployment share the database and the master key (signing keys are sealed with it).
  const databaseUrl = sharedDatabase ?? (db === 'postgres' ? freshPostgresDatabase() : `sqlite:${join(dir, 'castellan.sqlite')}`);
  const server = await startChild({
    name: name ?? `castellan-${db}`,
    script: castellanEntry(),
    args: ['start'],
    nodeArgs: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
    env: {
      ...(await blankInheritedSettings()),
      PORT: String(port),
      ISSUER: issuer,
      DATABASE_URL: databaseUrl,
      SEED_FILE: seedFile,
      LOG_LEVEL: 'silent',
      // The request inspector is off, as in production (where it is off by default).
      INSPECTOR_ENABLED: 'false',
      CASTELLAN_MASTER_KEY: masterKey ?? randomBytes(32).toString('base64'),
      MASTER_KEY_FILE: join(dir, 'master.key'),
      SIGNING_ALG: 'RS256',
      RSA_KEY_BITS: '2048',
      NODE_ENV: 'production',
      ...(workers ? { WORKERS: String(workers) } : {}),
      ...env,
    },
    readyUrl: `${url}/.well-known/openid-configuration`,
    logFile: join(dir, `${name ?? `castellan-${db}`}.log`),
    // Seeding hashes 64 passwords with argon2id before the listener opens.
    timeoutMs: 120_000,
  });
  // With WORKERS the node is a primary and its workers: their CPU is the server's too.
  return { ...server, url, issuer, kind: 'castellan', db, dir, databaseUrl, port, cpuPids: () => processTree(server.pid) };
}

export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The storage adapters oidc-provider can run on here, and the target name of each. */
export const OIDC_PROVIDER_ADAPTERS = { memory: 'oidc-provider', redis: 'oidc-provider-redis', sqlite: 'oidc-provider-sqlite' };

/**
 * Starts oidc-provider (see oidc-provider-server.mjs) with the fixture's clients and users, on the
 * storage `adapter`: 'memory' (unbounded Map), 'redis' (lib/redis-adapter.mjs on BENCH_REDIS_URL,
 * keys under a prefix of its own, deleted again by stop()) or 'sqlite' (lib/sqlite-adapter.mjs on a
 * temp file, WAL, synchronous=NORMAL). `cpuPids()` names the processes whose CPU is the server's:
 * the child, and for Redis the redis-server as well (as PostgreSQL's is counted for Castellan).
 */
export async function startOidcProvider({ fixture, adapter = 'memory', dir = tempDir(), cpuProfDir, redisUrl = BENCH_REDIS_URL } = {}) {
  if (!OIDC_PROVIDER_ADAPTERS[adapter]) throw new Error(`unknown oidc-provider adapter ${adapter}`);
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'oidc-provider.json');
  const redisFamily = 'castellan-bench:oidc-provider:';
  const redisPrefix = `${redisFamily}${process.pid}-${randomBytes(6).toString('hex')}:`;
  // Keys left by an earlier run that was killed (its process is gone): only this bench's own prefixes.
  if (adapter === 'redis') await flushStalePrefixes(redisUrl, redisFamily);
  const name = OIDC_PROVIDER_ADAPTERS[adapter];
  writeFileSync(configFile, JSON.stringify({
    port, issuer,
    clients: oidcProviderClients(fixture),
    jwtClients: jwtClientIds(fixture),
    resource: RESOURCE,
    users: fixture.users.map(({ username, claims }) => ({ username, claims })),
    cookieKey: randomBytes(32).toString('base64url'),
    adapter,
    ...(adapter === 'redis' ? { redisUrl, redisPrefix } : {}),
    ...(adapter === 'sqlite' ? { sqliteFile: join(dir, 'oidc-provider.sqlite') } : {}),
  }));
  const server = await startChild({
    name,
    script: join(ROOT, 'loadtest/lib/oidc-provider-server.mjs'),
    nodeArgs: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
    env: { OP_CONFIG: configFile, NODE_ENV: 'production' },
    readyUrl: `${issuer}/.well-known/openid-configuration`,
    logFile: join(dir, `${name}.log`),
  });
  const stop = adapter === 'redis'
    ? async (...args) => {
      const result = await server.stop(...args);
      // Only this run's keys: other users of the Redis database keep theirs.
      await flushPrefix(redisUrl, redisPrefix).catch((error) => console.error(`could not delete the Redis keys under ${redisPrefix}: ${error.message}`));
      return result;
    }
    : server.stop;
  const redisPids = adapter === 'redis' ? redisServerPids() : [];
  return { ...server, stop, url: issuer, kind: 'oidc-provider', db: adapter, adapter, dir, redisPrefix: adapter === 'redis' ? redisPrefix : undefined, cpuPids: () => [server.pid, ...redisPids] };
}

/** A limit far above what one 2-core machine can offer in a bounded run. */
const UNREACHABLE = '100000000/PT1M';

/**
 * Settings that make Castellan pay for rate limiting without refusing anything: the limiter is on
 * and counts every request, but no window can fill. Audit events are always written.
 */
export function castellanBenchEnv(overrides = {}) {
  return {
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_TOKEN: UNREACHABLE,
    RATE_LIMIT_AUTHORIZATION: UNREACHABLE,
    RATE_LIMIT_USERINFO: UNREACHABLE,
    RATE_LIMIT_INTROSPECTION: UNREACHABLE,
    RATE_LIMIT_REGISTRATION: UNREACHABLE,
    ...overrides,
  };
}

/**
 * A ceiling server (lib/ceiling-server.mjs) on `kind` (express or http); with `storage`, plus
 * Castellan's store work on SQLite, `tokens` stored tokens ready for introspection.
 */
export async function startCeiling(kind, { storage = false, tokens = 0, cpuProfDir } = {}) {
  const port = await freePort();
  const dir = tempDir('castellan-ceiling-');
  const name = `ceiling-${kind}${storage ? '-sqlite' : ''}`;
  const server = await startChild({
    name,
    script: join(ROOT, 'loadtest/lib/ceiling-server.mjs'),
    nodeArgs: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
    env: { CEILING_PORT: String(port), CEILING_KIND: kind, NODE_ENV: 'production', ...(storage ? { CEILING_DIR: dir, CEILING_TOKENS: String(tokens) } : {}) },
    readyUrl: `http://127.0.0.1:${port}/.well-known/openid-configuration`,
    logFile: join(dir, 'server.log'),
  });
  return { ...server, url: `http://127.0.0.1:${port}`, kind: name };
}
