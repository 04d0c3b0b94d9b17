/**
 * SSRF through a client's jwks_uri: refused at registration when the URL itself shows a private,
 * loopback or link-local target (or is not https) in production, and refused at fetch time when a
 * name resolves to such an address or the server redirects. Every refusal happens before a
 * connection is made; the only listener is on 127.0.0.1 and counts what reaches it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_BEARER } from '../../src/rfc7523-jwt-client-auth/client-assertion.js';
import { clientKeySet } from '../../src/rfc7523-jwt-client-auth/client-jwks.js';
import { postToken } from '../support/token-fixtures.js';
import { backendName, createTestContextWithApp, type TestContext } from '../support/test-context.js';

const register = (app: Express, body: unknown) => request(app).post('/register').set('content-type', 'application/json').send(JSON.stringify(body));
const keyClient = (jwksUri: string) => ({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri });

describe(`SSRF through jwks_uri, OWASP SSRF Prevention Cheat Sheet (${backendName})`, () => {
  let server: Server;
  let port: number;
  let privateKey: CryptoKey;
  let jwks: string;
  const hits: string[] = [];

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] });
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url?.startsWith('/redirect')) return res.writeHead(302, { location: `http://127.0.0.1:${port}/jwks-after-redirect` }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function tokenRequest(ctx: TestContext, app: Express, clientId: string) {
    const now = ctx.clock();
    const assertion = await new SignJWT({ iss: clientId, sub: clientId, aud: ctx.config.issuer, iat: now, exp: now + 60, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
    return postToken(app, { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: assertion });
  }

  describe('production mode', () => {
    let ctx: TestContext;
    let app: Express;
    beforeAll(async () => {
      ({ ctx, app } = await createTestContextWithApp({ production: true, issuer: 'https://id.example.test', registrationMode: 'open', rateLimitEnabled: false }));
    });
    afterAll(() => ctx.close());

    it('does not allow private networks unless OUTBOUND_ALLOW_PRIVATE_NETWORKS says so', () => {
      expect(ctx.config.outboundAllowPrivateNetworks).toBe(false);
    });

    it.each([
      ['loopback IPv4', 'https://127.0.0.1/jwks'],
      ['private 10/8', 'https://10.0.0.8/jwks'],
      ['link-local cloud metadata', 'https://169.254.169.254/latest/meta-data/'],
      ['loopback IPv6', 'https://[::1]/jwks'],
      ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/jwks'],
      ['private 192.168/16', 'https://192.168.1.1/jwks'],
      ['the name localhost', 'https://localhost/jwks'],
      ['a .localhost name', 'https://keys.localhost/jwks'],
      ['plain http', 'http://keys.example.test/jwks'],
      ['credentials in the URL', 'https://user:pw@keys.example.test/jwks'],
    ])('MUST refuse a jwks_uri at registration: %s', async (_label, uri) => {
      const res = await register(app, keyClient(uri));
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_client_metadata');
      expect(res.body.error_description).toMatch(/^jwks_uri /);
    });

    it('MUST refuse a private backchannel_logout_uri at registration', async () => {
      const res = await register(app, { redirect_uris: ['https://rp.example/cb'], backchannel_logout_uri: 'https://10.1.2.3/logout' });
      expect([res.status, res.body.error]).toEqual([400, 'invalid_client_metadata']);
    });

    it('accepts a public https jwks_uri without fetching it at registration', async () => {
      const before = hits.length;
      const res = await register(app, keyClient('https://keys.example.test/jwks'));
      expect(res.status).toBe(201);
      expect(hits.length).toBe(before);
    });

    it('MUST refuse, at fetch time, a name that resolves to loopback (DNS checked before connecting)', async () => {
      // The name passed registration; it now resolves to 127.0.0.1 (as after a DNS rebinding).
      const registered = (await register(app, keyClient('https://keys.example.test/rebinding'))).body as { client_id: string };
      const client = (await ctx.stores.clients.find(registered.client_id))!;
      const rebound = { ...client, metadata: { ...client.metadata, jwks_uri: `https://localhost:${port}/rebinding` } };
      await ctx.stores.clients.update(rebound);
      const before = hits.length;
      await expect(clientKeySet(ctx, rebound)).rejects.toThrow(/resolves to a forbidden address/);
      const res = await tokenRequest(ctx, app, registered.client_id);
      expect([res.status, res.body.error]).toEqual([401, 'invalid_client']);
      expect(hits.length).toBe(before);
    });

    it('MUST refuse, at fetch time, a private literal stored before production mode was turned on', async () => {
      const registered = (await register(app, keyClient('https://keys.example.test/legacy'))).body as { client_id: string };
      const client = (await ctx.stores.clients.find(registered.client_id))!;
      const legacy = { ...client, metadata: { ...client.metadata, jwks_uri: `https://127.0.0.1:${port}/legacy` } };
      await ctx.stores.clients.update(legacy);
      const before = hits.length;
      await expect(clientKeySet(ctx, legacy)).rejects.toThrow(/address 127\.0\.0\.1 is not allowed/);
      expect((await tokenRequest(ctx, app, registered.client_id)).status).toBe(401);
      expect(hits.length).toBe(before);
    });
  });

  describe('development mode (private networks and http allowed, redirects never followed)', () => {
    let ctx: TestContext;
    let app: Express;
    beforeAll(async () => {
      ({ ctx, app } = await createTestContextWithApp({ rateLimitEnabled: false }));
    });
    afterAll(() => ctx.close());

    it('states its outbound policy explicitly: private networks allowed outside production', () => {
      expect(ctx.config.outboundAllowPrivateNetworks).toBe(true);
    });

    it.each([
      'http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'http://100.100.100.200/', 'http://192.0.0.192/',
      'http://metadata.google.internal/computeMetadata/v1/', 'http://169.254.1.1/', 'http://[fe80::1]/', 'http://[::ffff:a9fe:a9fe]/',
    ])('MUST refuse a jwks_uri or backchannel_logout_uri at the metadata or link-local address %s even here', async (uri) => {
      const jwksUri = await register(app, keyClient(uri));
      expect(jwksUri.status).toBe(400);
      expect(jwksUri.body.error).toBe('invalid_client_metadata');
      const logout = await register(app, { redirect_uris: ['https://rp.example/cb'], backchannel_logout_uri: uri });
      expect(logout.status).toBe(400);
      expect(logout.body.error).toBe('invalid_client_metadata');
    });

    it('authenticates a registered private_key_jwt client with keys from its jwks_uri', async () => {
      const registered = (await register(app, keyClient(`http://127.0.0.1:${port}/jwks-ok`))).body as { client_id: string };
      const res = await tokenRequest(ctx, app, registered.client_id);
      expect(res.status).toBe(200);
      expect(hits).toContain('/jwks-ok');
    });

    it('MUST NOT follow a redirect from jwks_uri, even to a document that would verify', async () => {
      const registered = (await register(app, keyClient(`http://127.0.0.1:${port}/redirect-once`))).body as { client_id: string };
      const res = await tokenRequest(ctx, app, registered.client_id);
      expect([res.status, res.body.error]).toEqual([401, 'invalid_client']);
      const client = (await ctx.stores.clients.find(registered.client_id))!;
      await expect(clientKeySet(ctx, client)).rejects.toThrow(/redirect \(302\) refused/);
      expect(hits).toContain('/redirect-once');
      expect(hits).not.toContain('/jwks-after-redirect');
    });
  });

  describe('production mode with OUTBOUND_ALLOW_PRIVATE_NETWORKS=true', () => {
    let ctx: TestContext;
    let app: Express;
    beforeAll(async () => {
      ({ ctx, app } = await createTestContextWithApp({ production: true, issuer: 'https://id.example.test', registrationMode: 'open', rateLimitEnabled: false, outboundAllowPrivateNetworks: true }));
    });
    afterAll(() => ctx.close());

    it('accepts a private https jwks_uri but still requires https', async () => {
      expect((await register(app, keyClient('https://10.0.0.8/jwks'))).status).toBe(201);
      expect((await register(app, keyClient('http://10.0.0.8/jwks'))).status).toBe(400);
    });
  });
});
