import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registerDevCert } from '../../src/cli/dev-cert-command.js';
import { CliError } from '../../src/cli/output.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]) {
  const out: string[] = [];
  const program = new Command('castellan').exitOverride();
  registerDevCert(program, { stdout: (text) => out.push(text) });
  await program.parseAsync(['dev-cert', ...args], { from: 'user' });
  return out.join('');
}

describe('castellan dev-cert', () => {
  it('writes dev-cert.pem and dev-key.pem and prints the settings that use them', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'castellan-cli-')), 'tls');
    dirs.push(dir);
    const output = await run(['--dir', dir, '--host', 'localhost', '--host', '127.0.0.1']);
    expect(output).toContain(`TLS_CERT_FILE=${join(dir, 'dev-cert.pem')}`);
    expect(output).toContain(`TLS_KEY_FILE=${join(dir, 'dev-key.pem')}`);
    expect(output).toContain('localhost, 127.0.0.1');
    expect(statSync(join(dir, 'dev-key.pem')).mode & 0o777).toBe(0o600);
    // A second run without --force is a user mistake, reported as one line.
    await expect(run(['--dir', dir])).rejects.toBeInstanceOf(CliError);
    await expect(run(['--dir', dir, '--force'])).resolves.toContain('TLS_CERT_FILE=');
  });

  it('--rsa writes an RSA 2048 certificate (the FAPI 2.0 TLS 1.2 suites are RSA ones)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'castellan-cli-')), 'tls');
    dirs.push(dir);
    const output = await run(['--dir', dir, '--rsa']);
    expect(output).toContain('Self-signed RSA certificate');
    const key = new X509Certificate(readFileSync(join(dir, 'dev-cert.pem'))).publicKey;
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const ec = join(dir, 'ec');
    await run(['--dir', ec]);
    expect(new X509Certificate(readFileSync(join(ec, 'dev-cert.pem'))).publicKey.asymmetricKeyType).toBe('ec');
  });
});
