/**
 * A self-signed certificate for running Castellan over https on a developer's machine
 * (`castellan dev-cert`): localhost and loopback addresses, an ECDSA P-256 key (or RSA 2048 with
 * `--rsa`, for clients and test suites that expect the FAPI 2.0 RSA suites) readable only by its
 * owner. Never for production: nothing vouches for it.
 * @spec https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.6 (subjectAltName: dNSName and iPAddress)
 * @spec https://www.rfc-editor.org/rfc/rfc6125#section-6.4.4 (clients match names in subjectAltName, not the CN)
 * @spec https://openid.net/specs/fapi-2_0-security-profile.html#section-5.2.1 (the TLS 1.2 suites FAPI allows use RSA certificates)
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export const DEV_HOSTNAMES = ['localhost', '127.0.0.1', '::1'];
/** Short enough that a forgotten dev certificate does not live on for years. */
const VALIDITY_DAYS = 90;

export interface DevCertificate {
  certFile: string;
  keyFile: string;
  /** SHA-256 of the certificate, colon-separated hex. */
  fingerprint: string;
  hostnames: string[];
  notAfter: Date;
}

export class DevCertExistsError extends Error {}

export interface DevCertOptions {
  overwrite?: boolean;
  /** An RSA 2048 key instead of ECDSA P-256. */
  rsa?: boolean;
}

export async function makeDevCertificate(dir: string, hostnames: readonly string[] = DEV_HOSTNAMES, options: DevCertOptions = {}): Promise<DevCertificate> {
  const names = hostnames.length > 0 ? [...new Set(hostnames)] : DEV_HOSTNAMES;
  const certFile = join(dir, 'dev-cert.pem');
  const keyFile = join(dir, 'dev-key.pem');
  if (!options.overwrite && (existsSync(certFile) || existsSync(keyFile))) {
    throw new DevCertExistsError(`${certFile} or ${keyFile} already exists (use --force to replace them)`);
  }
  const notBefore = new Date();
  const notAfter = new Date(notBefore.getTime() + VALIDITY_DAYS * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: names[0] }], {
    ...(options.rsa ? { keyType: 'rsa' as const, keySize: 2048 } : { keyType: 'ec' as const, curve: 'P-256' as const }),
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      // An RSA key also enciphers the premaster secret of RSA key exchange, which the ciphers exclude anyway.
      { name: 'keyUsage', digitalSignature: true, ...(options.rsa ? { keyEncipherment: true } : {}), critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map((name) => (isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name })) },
    ],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  // writeFileSync's mode applies only to new files; an overwritten key keeps owner-only access too.
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, pems.cert, { mode: 0o644 });
  return { certFile, keyFile, fingerprint: new X509Certificate(pems.cert).fingerprint256, hostnames: names, notAfter };
}
