/**
 * A throwaway PKI for the RFC 8705 tests, made with the openssl CLI in a temporary directory: a CA
 * (MTLS_CA_FILE), a server certificate for 127.0.0.1, client certificates issued by the CA (with a
 * subject DN and subjectAltNames), one from a CA nobody trusts, and a self-signed one. Also an https
 * client that presents a certificate, and the URL-encoded PEM a proxy would put in a header.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Credential {
  cert: string;
  key: string;
  x509: X509Certificate;
}

export interface TestPki {
  dir: string;
  caFile: string;
  server: Credential;
  /** CN=client-a,O=Castellan Test,C=SE with DNS client-a.example, URI https://client-a.example/id, IP 10.0.0.7, email a@client-a.example. */
  clientA: Credential;
  /** CN=client-b,O=Castellan Test,C=SE, issued by the same CA. */
  clientB: Credential;
  /** CN=client-a,O=Castellan Test,C=SE, but issued by a CA that is not in MTLS_CA_FILE. */
  rogueA: Credential;
  /** Self-signed, for self_signed_tls_client_auth. */
  selfSigned: Credential;
  selfSignedOther: Credential;
  close(): void;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

function credential(dir: string, name: string): Credential {
  const cert = readFileSync(join(dir, `${name}.pem`), 'utf8');
  return { cert, key: readFileSync(join(dir, `${name}-key.pem`), 'utf8'), x509: new X509Certificate(cert) };
}

function makeCa(dir: string, name: string, subject: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, '-days', '30', '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function issue(dir: string, ca: string, name: string, subject: string, extensions: string, days = 10): void {
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', subject]);
  writeFileSync(join(dir, `${name}.ext`), `basicConstraints=critical,CA:FALSE\n${extensions}\n`);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-CAcreateserial', '-out', `${name}.pem`, '-days', String(days), '-sha256', '-extfile', `${name}.ext`]);
}

function selfSigned(dir: string, name: string, subject: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, '-days', '10', '-subj', subject]);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'castellan-mtls-'));
  makeCa(dir, 'ca', '/C=SE/O=Castellan Test/CN=Test Client CA');
  makeCa(dir, 'rogue-ca', '/C=SE/O=Castellan Test/CN=Test Client CA');
  issue(dir, 'ca', 'server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  const clientExtensions = 'extendedKeyUsage=clientAuth\nsubjectAltName=DNS:client-a.example,URI:https://client-a.example/id,IP:10.0.0.7,email:a@client-a.example';
  issue(dir, 'ca', 'client-a', '/C=SE/O=Castellan Test/CN=client-a', clientExtensions);
  issue(dir, 'ca', 'client-b', '/C=SE/O=Castellan Test/CN=client-b', 'extendedKeyUsage=clientAuth\nsubjectAltName=DNS:client-b.example');
  issue(dir, 'rogue-ca', 'rogue-a', '/C=SE/O=Castellan Test/CN=client-a', clientExtensions);
  selfSigned(dir, 'self', '/CN=self-signed client');
  selfSigned(dir, 'self-other', '/CN=self-signed client');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    server: credential(dir, 'server'),
    clientA: credential(dir, 'client-a'),
    clientB: credential(dir, 'client-b'),
    rogueA: credential(dir, 'rogue-a'),
    selfSigned: credential(dir, 'self'),
    selfSignedOther: credential(dir, 'self-other'),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The header value nginx's $ssl_client_escaped_cert gives: the PEM, URL-encoded. */
export const escapedPem = (credential: Credential): string => encodeURIComponent(credential.cert);

/** The certificate's key as a JWK Set with the certificate in x5c (what --tls-certificate registers). */
export function jwksOf(credential: Credential, withX5c = true): { keys: Record<string, unknown>[] } {
  const jwk = credential.x509.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { keys: [{ ...jwk, ...(withX5c ? { x5c: [credential.x509.raw.toString('base64')] } : {}) }] };
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One https request to 127.0.0.1:`port`, trusting the test CA, presenting `client` when given. */
export function httpsCall(pki: TestPki, port: number, options: { method?: string; path: string; client?: Credential; headers?: Record<string, string>; form?: Record<string, string> }): Promise<HttpsAnswer> {
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const headers: Record<string, string> = { ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path: options.path, method: options.method ?? (body ? 'POST' : 'GET'), headers, agent: false,
      ca: readFileSync(join(pki.dir, 'ca.pem')), ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}),
    }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
