/**
 * `castellan master-key rotate`: with the key file (replaced, old one kept as .previous until the
 * next start, which removes it) and with CASTELLAN_MASTER_KEY (the new key printed; the server then
 * starts with it and signs).
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V11.2)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server/start.js';
import { previousKeyPath } from '../../src/tokens/master-key-rotation.js';
import { cliRig } from './cli-harness.js';

async function startAndStop(env: NodeJS.ProcessEnv): Promise<void> {
  const running = await startServer(loadConfig(env, { port: 0, logLevel: 'silent', threatDetectionInterval: 0 }), { handleSignals: false });
  try {
    const response = await fetch(`http://127.0.0.1:${running.port}/jwks`);
    expect(response.status).toBe(200);
    expect(await running.ctx.keystore.sign({ sub: 'probe' })).toMatch(/^ey/);
  } finally {
    await running.close();
  }
}

describe('castellan master-key rotate (SQLite file)', () => {
  it('replaces the key file, keeps the old key until the next start, and the server starts with the new key', async () => {
    const rig = cliRig();
    expect((await rig.cli(['clients', 'add', '--client-id', 'hmac', '--auth-method', 'client_secret_jwt', '--grant-type', 'client_credentials'])).code).toBe(0);
    const file = rig.env.MASTER_KEY_FILE!;
    const oldKey = readFileSync(file, 'utf8').trim();
    const result = await rig.cli(['master-key', 'rotate']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`Master key rotated: 9 sealed values re-encrypted (signing_keys 8, clients 1, user_mfa 0).\nThe new key is in ${file}; the old one stays in ${file}.previous until the next successful start.\nRestart every node now.\n`);
    expect(result.stdout).not.toContain(readFileSync(file, 'utf8').trim());
    expect(readFileSync(file, 'utf8').trim()).not.toBe(oldKey);
    expect(readFileSync(previousKeyPath(file), 'utf8').trim()).toBe(oldKey);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Other commands work with the new key (they decrypt the signing keys at bootstrap).
    expect((await rig.cli(['keys', 'rotate'])).code).toBe(0);
    await startAndStop(rig.env);
    expect(existsSync(previousKeyPath(file))).toBe(false);
  });

  it('prints the new key with CASTELLAN_MASTER_KEY, and the server starts with it', async () => {
    const rig = cliRig();
    const env = { CASTELLAN_MASTER_KEY: randomBytes(32).toString('base64') };
    expect((await rig.cli(['keys', 'list'], { env })).code).toBe(0);
    const result = await rig.cli(['master-key', 'rotate'], { env });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[1]).toBe('Set CASTELLAN_MASTER_KEY to this new key on every node and restart them (the old key opens nothing any more):');
    const newKey = lines[2];
    expect(Buffer.from(newKey, 'base64')).toHaveLength(32);
    expect(existsSync(rig.env.MASTER_KEY_FILE!)).toBe(false);
    const withOld = await rig.cli(['keys', 'list'], { env });
    expect(withOld).toMatchObject({ code: 1, stderr: expect.stringMatching(/^castellan: cannot decrypt the signing keys/) });
    await startAndStop({ ...rig.env, CASTELLAN_MASTER_KEY: newKey });
    const json = JSON.parse((await rig.cli(['master-key', 'rotate', '--json'], { env: { CASTELLAN_MASTER_KEY: newKey } })).stdout);
    expect(json).toEqual({ resealed: { signing_keys: 8, clients: 0, user_mfa: 0 }, key: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/) });
  });
});
