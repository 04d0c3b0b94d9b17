import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FETCH_POLICY, isAllowedAddress, OutboundRequestError, safeFetch } from '../../src/security/safe-fetch.js';

describe('hardened outbound fetch', () => {
  let server: Server;
  let base: string;
  const open = { ...DEFAULT_FETCH_POLICY, requireHttps: false, allowPrivateNetworks: true, timeoutMs: 500, maxResponseBytes: 1024 };

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/redirect') return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
      if (req.url === '/big') return res.end('x'.repeat(10_000));
      if (req.url === '/slow') return; // never answers
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('fetches from an allowed target', async () => {
    const response = await safeFetch(`${base}/ok`, {}, open);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString())).toEqual({ ok: true });
  });

  it('MUST refuse plain http when https is required', async () => {
    await expect(safeFetch(`${base}/ok`, {}, { ...open, requireHttps: true })).rejects.toThrow(/scheme http/);
  });

  it.each(['http://127.0.0.1/', 'http://10.0.0.5/', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://192.168.0.1/'])(
    'MUST refuse the private or loopback literal %s',
    async (url) => {
      await expect(safeFetch(url, {}, { ...open, allowPrivateNetworks: false })).rejects.toBeInstanceOf(OutboundRequestError);
    },
  );

  it.each([
    'http://169.254.169.254/latest/meta-data', 'http://[fd00:ec2::254]/', 'http://100.100.100.200/', 'http://192.0.0.192/',
    'http://[fe80::1]/', 'http://[::ffff:169.254.169.254]/', 'http://2852039166/', 'http://metadata.google.internal/computeMetadata/v1/',
  ])('MUST refuse the metadata or link-local target %s even where private networks are allowed', async (url) => {
    await expect(safeFetch(url, {}, open)).rejects.toBeInstanceOf(OutboundRequestError);
  });

  it('MUST refuse resolved metadata and link-local addresses under every policy, private ones only when not allowed', () => {
    for (const address of ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', 'fe80::1']) {
      expect(isAllowedAddress(address, open), address).toBe(false);
    }
    expect(isAllowedAddress('127.0.0.1', open)).toBe(true);
    expect(isAllowedAddress('127.0.0.1', { ...open, allowPrivateNetworks: false })).toBe(false);
    expect(isAllowedAddress('93.184.216.34', { ...open, allowPrivateNetworks: false })).toBe(true);
  });

  it('MUST refuse a hostname that resolves to loopback (checked after DNS resolution)', async () => {
    const port = (server.address() as AddressInfo).port;
    await expect(safeFetch(`http://localhost:${port}/ok`, {}, { ...open, allowPrivateNetworks: false })).rejects.toThrow(/forbidden address/);
  });

  it('MUST NOT follow redirects', async () => {
    await expect(safeFetch(`${base}/redirect`, {}, open)).rejects.toThrow(/redirect \(302\) refused/);
  });

  it('MUST stop reading an oversized response', async () => {
    await expect(safeFetch(`${base}/big`, {}, open)).rejects.toThrow(/too large/);
  });

  it('MUST give up on a target that does not answer in time', async () => {
    await expect(safeFetch(`${base}/slow`, {}, open)).rejects.toThrow(/timed out/);
  });

  it('MUST refuse credentials embedded in the URL and non-http schemes', async () => {
    await expect(safeFetch('http://user:pw@example.com/', {}, open)).rejects.toThrow(/credentials/);
    await expect(safeFetch('file:///etc/passwd', {}, open)).rejects.toThrow(/scheme/);
    await expect(safeFetch('gopher://example.com/', {}, open)).rejects.toThrow(/scheme/);
  });
});
