/**
 * The `castellan` program as a whole: help, version, migrate, and configuration mistakes reported as
 * one clear line each with exit code 1. Run in-process on SQLite files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliRig, type CliRig } from './cli-harness.js';

describe('castellan program (SQLite file)', () => {
  let rig: CliRig;
  beforeAll(() => {
    rig = cliRig();
  });

  it('prints help listing every command, exit 0', async () => {
    const help = await rig.cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['start', 'migrate', 'clients', 'users', 'keys', 'seed']) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('start --help offers --workers, and a bad count is reported like the WORKERS setting, exit 1', async () => {
    const help = await rig.cli(['start', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--workers <count>\s+worker processes serving PORT: a number, or auto/);
    expect(await rig.cli(['start', '--workers', 'many'])).toEqual({ code: 1, stdout: '', stderr: 'castellan: WORKERS="many" is not valid: expected auto (one per core) or an integer from 1 to 64\n' });
  });

  it('prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(await rig.cli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('migrate applies every migration once, then reports the database up to date', async () => {
    const names = readdirSync(new URL('../../src/storage/migrations/', import.meta.url)).filter((file) => /^\d+-.*\.ts$/.test(file)).map((file) => file.replace(/\.ts$/, '')).sort();
    const plural = names.length === 1 ? '' : 's';
    expect(await rig.cli(['migrate'])).toMatchObject({ code: 0, stdout: `Applied ${names.length} migration${plural}: ${names.join(', ')}\n` });
    expect(await rig.cli(['migrate'])).toMatchObject({ code: 0, stdout: `Database is up to date (${names.length} migration${plural} applied).\n` });
  });

  it.each([
    [{ PORT: 'abc' }, ['castellan: PORT="abc" is not valid: expected an integer 0-65535']],
    [{ ACCESS_TOKEN_TTL: '1h' }, ['castellan: ACCESS_TOKEN_TTL="1h" is not valid: expected an ISO 8601 duration such as PT1H']],
    [{ DATABASE_URL: 'mysql://db' }, ['castellan: DATABASE_URL="mysql://db" is not valid: expected sqlite:PATH or postgres://...']],
    [{ PORT: 'abc', ACCESS_TOKEN_TTL: '1h' }, [
      'castellan: PORT="abc" is not valid: expected an integer 0-65535',
      'castellan: ACCESS_TOKEN_TTL="1h" is not valid: expected an ISO 8601 duration such as PT1H',
    ]],
  ])('reports bad configuration %j as one line per value, exit 1', async (env, lines) => {
    for (const argv of [['clients', 'list'], ['start'], ['migrate']]) {
      const result = await rig.cli(argv, { env });
      expect(result).toEqual({ code: 1, stdout: '', stderr: lines.map((line) => line + '\n').join('') });
    }
  });

  it('reports an unknown command or option in one line, exit 1', async () => {
    const unknownCommand = await rig.cli(['frobnicate']);
    expect(unknownCommand.code).toBe(1);
    expect(unknownCommand.stderr.split('\n')[0]).toBe("castellan: unknown command 'frobnicate'");
    const unknownOption = await rig.cli(['clients', 'list', '--jsonn']);
    expect(unknownOption.code).toBe(1);
    expect(unknownOption.stderr.split('\n')[0]).toMatch(/^castellan: unknown option '--jsonn'/);
  });

  it('explains a master key that cannot open the stored signing keys', async () => {
    await rig.cli(['keys', 'list']);
    const result = await rig.cli(['keys', 'list'], { env: { CASTELLAN_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('castellan: cannot decrypt the signing keys: the master key (CASTELLAN_MASTER_KEY or MASTER_KEY_FILE) is not the one they were sealed with\n');
  });
});
