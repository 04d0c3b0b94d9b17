/**
 * Configuration: documented defaults, CONFIG_FILE, environment overrides, and one clear message per
 * bad value.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../../src/config/config.js';
import { configProblems } from '../support/config-problems.js';

const dir = mkdtempSync(join(tmpdir(), 'castellan-config-'));
let files = 0;
function configFile(content: unknown): string {
  const path = join(dir, `config-${files++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('configuration defaults', () => {
  it('starts with no environment at all: SQLite under ./data on port 3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000, issuer: 'http://localhost:3000', databaseUrl: 'sqlite:./data/castellan.sqlite', masterKeyFile: './data/master.key',
      signingAlg: 'RS256', rsaModulusLength: 2048, logLevel: 'info', production: false, strictAssertionAudience: false,
    });
    expect(config.masterKey).toBeUndefined();
    expect(config.seedFile).toBeUndefined();
  });

  it('uses the documented lifetimes', () => {
    expect(loadConfig({})).toMatchObject({
      accessTokenTtl: 3_600, refreshTokenTtl: 30 * 86_400, authorizationCodeTtl: 600, idTokenTtl: 3_600,
      sessionIdleTtl: 1_800, sessionAbsoluteTtl: 12 * 3_600, interactionTtl: 900, keyRotationInterval: 90 * 86_400,
    });
  });

  it('documents every setting with an environment variable and an expectation', () => {
    for (const setting of SETTINGS) {
      expect(setting.env).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(setting.describe.length).toBeGreaterThan(3);
    }
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).port).toBe(3000);
  });
});

describe('configuration from the environment', () => {
  it('reads each kind of value', () => {
    const config = loadConfig({
      PORT: '8443', ISSUER: 'https://id.example.com', DATABASE_URL: 'postgres://u:p@db/castellan', ACCESS_TOKEN_TTL: 'PT5M',
      SIGNING_ALG: 'ES256', RSA_KEY_BITS: '3072', STRICT_ASSERTION_AUDIENCE: 'true', CASTELLAN_PRODUCTION: '1',
      CASTELLAN_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'), SEED_FILE: 'seed/example.json', LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 8443, issuer: 'https://id.example.com', databaseUrl: 'postgres://u:p@db/castellan', accessTokenTtl: 300, signingAlg: 'ES256',
      rsaModulusLength: 3072, strictAssertionAudience: true, production: true, seedFile: 'seed/example.json', logLevel: 'warn',
    });
  });

  it.each(['RS256', 'PS256', 'ES256', 'EdDSA'])('accepts SIGNING_ALG=%s, an alg the keystore holds keys for', (alg) => {
    expect(loadConfig({ SIGNING_ALG: alg }).signingAlg).toBe(alg);
  });

  it.each([
    ['PORT', 'abc', /^PORT="abc" is not valid: expected an integer 0-65535$/],
    ['PORT', '70000', /^PORT="70000" is not valid/],
    ['ACCESS_TOKEN_TTL', '1h', /^ACCESS_TOKEN_TTL="1h" is not valid: expected an ISO 8601 duration/],
    ['REFRESH_TOKEN_TTL', 'PT0S', /^REFRESH_TOKEN_TTL="PT0S" is not valid/],
    ['ISSUER', 'https://id.example.com/', /^ISSUER=.* is not valid: expected an http\(s\) URL without query, fragment or trailing slash$/],
    ['ISSUER', 'https://id.example.com?x=1', /^ISSUER=/],
    ['ISSUER', 'ftp://id.example.com', /^ISSUER=/],
    ['DATABASE_URL', 'mysql://db/castellan', /^DATABASE_URL=.* expected sqlite:PATH or postgres/],
    ['SIGNING_ALG', 'HS256', /^SIGNING_ALG="HS256" is not valid: expected RS256, PS256, ES256, EdDSA$/],
    ['RSA_KEY_BITS', '1024', /^RSA_KEY_BITS="1024" is not valid: expected 2048, 3072 or 4096$/],
    ['STRICT_ASSERTION_AUDIENCE', 'yes', /^STRICT_ASSERTION_AUDIENCE="yes" is not valid: expected true or false$/],
    ['CASTELLAN_MASTER_KEY', Buffer.alloc(16).toString('base64'), /^CASTELLAN_MASTER_KEY=.* expected 32 bytes in base64$/],
    ['LOG_LEVEL', 'verbose', /^LOG_LEVEL="verbose" is not valid/],
  ])('reports %s=%j in one line naming the variable', (name, value, message) => {
    const reported = configProblems({ [name]: value });
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(message);
    expect(reported[0]).not.toContain('\n');
  });

  it('reports every bad value at once, not only the first', () => {
    const reported = configProblems({ PORT: 'abc', ACCESS_TOKEN_TTL: '1h', SIGNING_ALG: 'none' });
    expect(reported).toHaveLength(3);
    expect(reported.map((line) => line.split('=')[0])).toEqual(['PORT', 'ACCESS_TOKEN_TTL', 'SIGNING_ALG']);
  });

  it('requires an https issuer in production', () => {
    expect(configProblems({ CASTELLAN_PRODUCTION: 'true' })).toEqual(['ISSUER must be https when CASTELLAN_PRODUCTION=true']);
    expect(loadConfig({ CASTELLAN_PRODUCTION: 'true', ISSUER: 'https://id.example.com' }).production).toBe(true);
  });

  it('lets typed overrides win without parsing (tests)', () => {
    expect(loadConfig({ PORT: '1234' }, { port: 0 }).port).toBe(0);
  });
});

describe('configuration from CONFIG_FILE', () => {
  it('reads settings by their config key, with JSON types', () => {
    const config = loadConfig({ CONFIG_FILE: configFile({ port: 4000, issuer: 'https://id.example.org', accessTokenTtl: 'PT15M', production: true }) });
    expect(config).toMatchObject({ port: 4000, issuer: 'https://id.example.org', accessTokenTtl: 900, production: true });
  });

  it('lets the environment override the file', () => {
    const path = configFile({ port: 4000, logLevel: 'debug' });
    expect(loadConfig({ CONFIG_FILE: path, PORT: '5000' })).toMatchObject({ port: 5000, logLevel: 'debug' });
  });

  it('reports an unknown key in the file', () => {
    expect(configProblems({ CONFIG_FILE: configFile({ port: 4000, prot: 4001 }) })).toEqual(['CONFIG_FILE: unknown setting "prot"']);
  });

  it('reports a bad value in the file with its key', () => {
    const reported = configProblems({ CONFIG_FILE: configFile({ accessTokenTtl: '1h' }) });
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(/^CONFIG_FILE accessTokenTtl="1h" is not valid: expected an ISO 8601 duration/);
  });

  it('reports a file that is missing or not JSON', () => {
    expect(configProblems({ CONFIG_FILE: join(dir, 'absent.json') })[0]).toMatch(/^CONFIG_FILE .*absent\.json: ENOENT/);
    expect(configProblems({ CONFIG_FILE: configFile('{ port: 1 ') })[0]).toMatch(/^CONFIG_FILE .*config-\d+\.json: .*JSON/);
  });
});
