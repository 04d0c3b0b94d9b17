import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { connect as connectTcp, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type SecureVersion } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCertificate, type DevCertificate } from '../../src/security/dev-cert.js';
import { createListeners, requestTimeouts, type Listeners } from '../../src/security/tls.js';
import { loadConfig } from '../../src/config/config.js';
import { createApp } from '../../src/server/app.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

let dir: string;
let cert: DevCertificate;
let ctx: TestContext;
let listeners: Listeners;
let port: number;
let redirectPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'castellan-tls-'));
  cert = await makeDevCertificate(dir, ['localhost', '127.0.0.1']);
  ctx = await createTestContext({ issuer: 'https://localhost:8443' });
  listeners = createListeners({ port: 0, issuer: 'https://localhost:8443', tlsCertFile: cert.certFile, tlsKeyFile: cert.keyFile, httpRedirectPort: 0, httpHeadersTimeout: 10, httpRequestTimeout: 30 }, createApp(ctx));
  const bound = await listeners.listen();
  port = bound.port;
  redirectPort = bound.redirectPort!;
});

afterAll(async () => {
  await listeners?.close(100);
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Handshake outcome for a client limited to one protocol version (and optionally cipher suites). */
function handshake(targetPort: number, version: SecureVersion, extra: ConnectionOptions = {}): Promise<{ protocol: string | null; cipher: string } | { error: string }> {
  return new Promise((resolve) => {
    // SECLEVEL=0 lets this client offer what old clients offer, so a refusal is the server's doing.
    const socket = connect({ host: '127.0.0.1', port: targetPort, ca: readFileSync(cert.certFile), servername: 'localhost', minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0', ...extra }, () => {
      resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name });
      socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

describe('RFC 8996 / RFC 9325 TLS listener', () => {
  it('serves the app over https with the dev certificate (verified against it)', async () => {
    const res = await new Promise<{ status?: number; hsts?: string | string[]; body: string }>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port, path: '/.well-known/openid-configuration', ca: readFileSync(cert.certFile), servername: 'localhost' }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode, hsts: response.headers['strict-transport-security'], body }));
      }).on('error', reject).end();
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).issuer).toBe('https://localhost:8443');
    // Over TLS, HSTS is sent (RFC 6797 §7.1).
    expect(res.hsts).toBe('max-age=31536000; includeSubDomains');
  });

  it('accepts TLS 1.3 and TLS 1.2 (with an AEAD ECDHE suite)', async () => {
    expect(await handshake(port, 'TLSv1.3')).toMatchObject({ protocol: 'TLSv1.3' });
    const tls12 = await handshake(port, 'TLSv1.2');
    expect(tls12).toMatchObject({ protocol: 'TLSv1.2' });
    expect((tls12 as { cipher: string }).cipher).toMatch(/^ECDHE-ECDSA-AES\d+-GCM-SHA\d+$/);
  });

  it('prefers TLS 1.3 when the client offers both', async () => {
    const socketInfo = await handshake(port, 'TLSv1.3', { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    expect(socketInfo).toMatchObject({ protocol: 'TLSv1.3' });
  });

  it('MUST refuse TLS 1.1, which a permissive server would accept from the same client', async () => {
    expect(await handshake(port, 'TLSv1.1')).toHaveProperty('error');
    const permissive = createHttpsServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile), minVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    await new Promise<void>((resolve) => permissive.listen(0, '127.0.0.1', resolve));
    try {
      expect(await handshake((permissive.address() as AddressInfo).port, 'TLSv1.1')).toMatchObject({ protocol: 'TLSv1.1' });
    } finally {
      permissive.close();
    }
  });

  it('MUST refuse TLS 1.2 CBC suites that Node accepts by default', async () => {
    const cbcOnly = { ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA@SECLEVEL=0' };
    expect(await handshake(port, 'TLSv1.2', cbcOnly)).toHaveProperty('error');
    const nodeDefault = createHttpsServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) });
    await new Promise<void>((resolve) => nodeDefault.listen(0, '127.0.0.1', resolve));
    try {
      expect(await handshake((nodeDefault.address() as AddressInfo).port, 'TLSv1.2', cbcOnly)).toMatchObject({ protocol: 'TLSv1.2' });
    } finally {
      nodeDefault.close();
    }
  });
});

describe('FAPI 2.0 Security Profile §5.2.1 TLS 1.2 cipher suites', () => {
  it('MUST refuse TLS 1.2 ChaCha20, which BCP 195 allows but FAPI 2.0 does not', async () => {
    expect(await handshake(port, 'TLSv1.2', { ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' })).toHaveProperty('error');
  });

  it('serves an RSA certificate (dev-cert --rsa) with the FAPI suites: ECDHE-RSA AES-GCM, and refuses DHE-RSA', async () => {
    const rsaDir = mkdtempSync(join(tmpdir(), 'castellan-tls-rsa-'));
    const rsa = await makeDevCertificate(rsaDir, ['localhost'], { rsa: true });
    const rsaListeners = createListeners({ port: 0, issuer: 'https://localhost:8443', tlsCertFile: rsa.certFile, tlsKeyFile: rsa.keyFile, httpHeadersTimeout: 10, httpRequestTimeout: 30 }, createApp(ctx));
    try {
      const rsaPort = (await rsaListeners.listen()).port;
      const trust = { ca: readFileSync(rsa.certFile) };
      for (const suite of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384']) {
        expect(await handshake(rsaPort, 'TLSv1.2', { ...trust, ciphers: suite }), suite).toMatchObject({ protocol: 'TLSv1.2', cipher: suite });
      }
      // The FAPI 2.0 conformance suite's RequireOnlyBCP195RecommendedCiphersForTLS12 fails a server that accepts these.
      for (const suite of ['DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384']) {
        expect(await handshake(rsaPort, 'TLSv1.2', { ...trust, ciphers: suite }), suite).toHaveProperty('error');
      }
      expect(await handshake(rsaPort, 'TLSv1.2', { ...trust, ciphers: 'AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305' })).toHaveProperty('error');
    } finally {
      await rsaListeners.close(100);
      rmSync(rsaDir, { recursive: true, force: true });
    }
  });
});

describe('HTTP_REDIRECT_PORT listener', () => {
  function plain(method: string, path: string): Promise<{ status?: number; location?: string; body: string }> {
    return new Promise((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: redirectPort, method, path, headers: { Host: 'attacker.example' } }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode, location: response.headers.location, body }));
      }).on('error', reject).end();
    });
  }

  it("redirects GET with 301 to the same path on the issuer's https origin (never the Host header)", async () => {
    const res = await plain('GET', '/authorize?client_id=a&state=x');
    expect(res.status).toBe(301);
    expect(res.location).toBe('https://localhost:8443/authorize?client_id=a&state=x');
  });

  it('refuses other methods instead of redirecting a body sent in clear', async () => {
    const res = await plain('POST', '/token');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: 'invalid_request', error_description: 'Use https', error_uri: expect.stringMatching(/\/errors\/invalid_request\/CASTELLAN-HTTP-1$/) });
  });
});

describe('plain http application listener', () => {
  it('hands express requests and responses that already have the app\'s prototypes (no per-request prototype swap)', async () => {
    const app = createApp(ctx);
    const plainListeners = createListeners({ port: 0, issuer: 'http://localhost:3000', httpHeadersTimeout: 10, httpRequestTimeout: 30 }, app);
    const seen: { request?: boolean; response?: boolean } = {};
    // Runs before express's own listener: what node built, before express could change it.
    plainListeners.server.prependListener('request', (req, res) => {
      seen.request = Object.getPrototypeOf(req) === app.request;
      seen.response = Object.getPrototypeOf(res) === app.response;
    });
    try {
      const bound = await plainListeners.listen();
      const res = await fetch(`http://127.0.0.1:${bound.port}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
      expect(res.status).toBe(401);
      expect((await res.json()).error).toBe('invalid_client');
      expect(seen).toEqual({ request: true, response: true });
    } finally {
      await plainListeners.close(100);
    }
  });

  it('serves plain http without a redirect listener when TLS is not configured', async () => {
    const plainListeners = createListeners({ port: 0, issuer: 'http://localhost:3000', httpHeadersTimeout: 10, httpRequestTimeout: 30 }, createApp(ctx));
    try {
      const bound = await plainListeners.listen();
      expect(plainListeners.secure).toBe(false);
      expect(plainListeners.redirect).toBeUndefined();
      const res = await fetch(`http://127.0.0.1:${bound.port}/jwks`);
      expect(res.status).toBe(200);
    } finally {
      await plainListeners.close(100);
    }
  });
});

/**
 * Sends `head` at once, then `drip` one byte every 100 ms until the server answers or closes;
 * resolves with the status line and how long the server let the connection live.
 */
function slowClient(port: number, head: string, drip: string): Promise<{ statusLine: string; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connectTcp(port, '127.0.0.1', () => socket.write(head));
    let received = '';
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < drip.length) socket.write(drip[sent++]);
    }, 100);
    const finish = () => {
      clearInterval(timer);
      resolve({ statusLine: received.split('\r\n')[0], body: received.split('\r\n\r\n')[1] ?? '', ms: Date.now() - started });
    };
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('close', finish);
    socket.on('error', (error) => {
      clearInterval(timer);
      if (received) finish();
      else reject(error);
    });
  });
}

describe('request timeouts against slow clients (HTTP_HEADERS_TIMEOUT, HTTP_REQUEST_TIMEOUT)', () => {
  let slow: Listeners;
  let slowPort: number;

  beforeAll(async () => {
    slow = createListeners({ port: 0, issuer: 'http://localhost:3000', httpHeadersTimeout: 1, httpRequestTimeout: 2 }, createApp(ctx));
    slowPort = (await slow.listen()).port;
  });
  afterAll(() => slow.close(100));

  it('defaults to seconds, not minutes, and checks for expired requests at least every second', () => {
    const config = loadConfig({}, { databaseUrl: 'sqlite::memory:' });
    expect({ headers: config.httpHeadersTimeout, request: config.httpRequestTimeout }).toEqual({ headers: 10, request: 30 });
    expect(requestTimeouts(config)).toEqual({ headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1000 });
  });

  it('refuses a headers timeout longer than the request timeout at start', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT: 'PT1M', HTTP_REQUEST_TIMEOUT: 'PT30S' }, { databaseUrl: 'sqlite::memory:' })).toThrow(/HTTP_HEADERS_TIMEOUT must not be longer/);
  });

  it('MUST answer 408 and close a connection whose headers arrive too slowly', async () => {
    const { statusLine, body, ms } = await slowClient(slowPort, 'GET /jwks HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: ' + 'a'.repeat(60));
    expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(JSON.parse(body)).toEqual({ error: 'invalid_request', error_description: expect.stringContaining('HTTP_HEADERS_TIMEOUT'), error_uri: expect.stringMatching(/\/errors\/invalid_request\/CASTELLAN-HTTP-1$/) });
    expect(ms).toBeLessThan(3000);
  });

  it('answers 431 with a JSON error when the headers are too large', async () => {
    const { statusLine, body } = await slowClient(slowPort, `GET /jwks HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, '');
    expect(statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(JSON.parse(body)).toEqual({ error: 'invalid_request', error_description: 'The request headers are too large', error_uri: expect.stringMatching(/\/errors\/invalid_request\/CASTELLAN-HTTP-1$/) });
  });

  it('answers 400 with a JSON error to a request line that is not HTTP', async () => {
    const { statusLine, body } = await slowClient(slowPort, 'NOT HTTP AT ALL\r\n\r\n', '');
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(body).error).toBe('invalid_request');
  });

  it('MUST answer 408 and close a connection whose body arrives too slowly', async () => {
    const body = 'grant_type=client_credentials&client_id=' + 'a'.repeat(60);
    const head = `POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { statusLine, body: answer, ms } = await slowClient(slowPort, head, body);
    expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(JSON.parse(answer).error).toBe('invalid_request');
    expect(ms).toBeGreaterThanOrEqual(1900);
    expect(ms).toBeLessThan(4000);
  });
});
