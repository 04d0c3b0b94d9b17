import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DevCertExistsError, makeDevCertificate } from '../../src/security/dev-cert.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'castellan-devcert-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('RFC 5280 §4.2.1.6 development certificate', () => {
  it('names localhost and the loopback addresses in subjectAltName by default', async () => {
    const cert = await makeDevCertificate(join(tempDir(), 'tls'));
    const x509 = new X509Certificate(readFileSync(cert.certFile));
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.ca).toBe(false);
    expect(cert.fingerprint).toBe(x509.fingerprint256);
  });

  it('writes the private key readable by its owner only (0600), matching the certificate', async () => {
    const cert = await makeDevCertificate(tempDir(), ['castellan.test']);
    expect(statSync(cert.keyFile).mode & 0o777).toBe(0o600);
    const x509 = new X509Certificate(readFileSync(cert.certFile));
    expect(x509.checkPrivateKey(createPrivateKey(readFileSync(cert.keyFile)))).toBe(true);
    expect(x509.checkHost('castellan.test')).toBe('castellan.test');
    expect(x509.checkHost('localhost')).toBeUndefined();
  });

  it('is short-lived: valid for at most 90 days', async () => {
    const cert = await makeDevCertificate(tempDir());
    const x509 = new X509Certificate(readFileSync(cert.certFile));
    const days = (Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / 86_400_000;
    expect(days).toBeGreaterThan(89);
    expect(days).toBeLessThanOrEqual(90);
  });

  it('refuses to overwrite an existing certificate unless asked to, and then keeps the key at 0600', async () => {
    const dir = tempDir();
    const first = await makeDevCertificate(dir);
    await expect(makeDevCertificate(dir)).rejects.toBeInstanceOf(DevCertExistsError);
    const second = await makeDevCertificate(dir, undefined, { overwrite: true });
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(statSync(second.keyFile).mode & 0o777).toBe(0o600);
  });
});
