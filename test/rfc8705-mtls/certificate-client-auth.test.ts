import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createApp } from '../../src/server/app.js';
import { startFaultyJwksServer, type FaultyJwksServer } from '../support/faulty-jwks-server.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { postToken } from '../support/token-fixtures.js';
import { escapedPem, jwksOf, makeTestPki, type Credential, type TestPki } from './mtls-fixtures.js';

const HEADER = 'X-SSL-Client-Cert';

describe(`RFC 8705 §2 mutual-TLS client authentication (${backendName})`, () => {
  let pki: TestPki;
  let ctx: TestContext;
  let app: Express;
  let jwksServer: FaultyJwksServer;

  /** A client_credentials request through the proxy path (supertest connects from loopback, a trusted proxy here). */
  const tokenRequest = (clientId: string | undefined, presented?: Credential, extra: Record<string, string> = {}) =>
    postToken(app, { grant_type: 'client_credentials', ...(clientId ? { client_id: clientId } : {}), ...extra }, presented ? { [HEADER]: escapedPem(presented) } : {});

  beforeAll(async () => {
    pki = makeTestPki();
    ctx = await createTestContext({ mtlsCaFile: pki.caFile, mtlsCertificateHeader: HEADER.toLowerCase(), trustedProxies: ['127.0.0.1', '::1'] });
    app = createApp(ctx);
    const common = { grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth' };
    await createClient(ctx, { client_id: 'by-dn', ...common, tls_client_auth_subject_dn: 'CN=client-a, O=Castellan Test, C=SE' });
    await createClient(ctx, { client_id: 'by-dns', ...common, tls_client_auth_san_dns: 'client-a.example' });
    await createClient(ctx, { client_id: 'by-uri', ...common, tls_client_auth_san_uri: 'https://client-a.example/id' });
    await createClient(ctx, { client_id: 'by-ip', ...common, tls_client_auth_san_ip: '10.0.0.7' });
    await createClient(ctx, { client_id: 'by-email', ...common, tls_client_auth_san_email: 'a@client-a.example' });
    const selfSigned = { grant_types: ['client_credentials'], token_endpoint_auth_method: 'self_signed_tls_client_auth' };
    await createClient(ctx, { client_id: 'self', ...selfSigned, jwks: jwksOf(pki.selfSigned) });
    await createClient(ctx, { client_id: 'self-bare-jwk', ...selfSigned, jwks: jwksOf(pki.selfSigned, false) });
    // Its /jwks publishes only the other self-signed certificate.
    jwksServer = await startFaultyJwksServer(jwksOf(pki.selfSignedOther));
    await createClient(ctx, { client_id: 'self-remote', ...selfSigned, jwks_uri: `${jwksServer.base}/jwks` });
    await createClient(ctx, { client_id: 'self-down', ...selfSigned, jwks_uri: `${jwksServer.base}/down` });
    await createClient(ctx, { client_id: 'self-refused', ...selfSigned, jwks_uri: jwksServer.refusedUrl });
  });
  afterAll(async () => {
    await jwksServer?.close();
    await ctx?.close();
    pki?.close();
  });

  describe('RFC 8705 §2.1 tls_client_auth', () => {
    it('MUST authenticate a client whose certificate chains to MTLS_CA_FILE and carries the registered subject DN', async () => {
      const res = await tokenRequest('by-dn', pki.clientA);
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('Bearer');
    });

    it('MUST match each kind of registered subjectAltName: dNSName, URI, iPAddress, rfc822Name', async () => {
      for (const clientId of ['by-dns', 'by-uri', 'by-ip', 'by-email']) {
        expect((await tokenRequest(clientId, pki.clientA)).status, clientId).toBe(200);
        expect((await tokenRequest(clientId, pki.clientB)).status, clientId).toBe(401);
      }
    });

    it('MUST refuse a certificate whose subject is not the registered one, with invalid_client', async () => {
      const res = await tokenRequest('by-dn', pki.clientB);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('MUST refuse a certificate with the registered subject from a CA that is not a trust anchor', async () => {
      const res = await tokenRequest('by-dn', pki.rogueA);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('MUST refuse an expired certificate', async () => {
      ctx.clock.advance(11 * 86_400);
      try {
        expect((await tokenRequest('by-dn', pki.clientA)).status).toBe(401);
      } finally {
        ctx.clock.advance(-11 * 86_400);
      }
    });

    it('MUST refuse a request without a client certificate', async () => {
      const res = await tokenRequest('by-dn');
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('MUST refuse a certificate client that does not name itself with client_id', async () => {
      expect((await tokenRequest(undefined, pki.clientA)).status).toBe(401);
    });

    it('MUST NOT let a certificate client authenticate with a secret instead', async () => {
      const res = await tokenRequest('by-dn', pki.clientA, { client_secret: 'a-secret-the-client-never-had-0123456789' });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('audits a failed certificate authentication as client.auth_failed', async () => {
      await tokenRequest('by-dn', pki.clientB);
      const events = await ctx.stores.audit.list({ type: "client.auth_failed" });
      expect(events.some((event) => event.details?.reason === 'the client certificate does not match the registered subject')).toBe(true);
    });
  });

  describe('RFC 8705 §2.2 self_signed_tls_client_auth', () => {
    it('MUST authenticate a client presenting the certificate it registered in jwks (x5c) or whose key it registered', async () => {
      expect((await tokenRequest('self', pki.selfSigned)).status).toBe(200);
      expect((await tokenRequest('self-bare-jwk', pki.selfSigned)).status).toBe(200);
    });

    it('MUST refuse another self-signed certificate, even with the same subject', async () => {
      const res = await tokenRequest('self', pki.selfSignedOther);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('MUST refuse a request without a certificate', async () => {
      expect((await tokenRequest('self')).status).toBe(401);
    });

    it('answers 503 temporarily_unavailable with Retry-After, not invalid_client, when the client jwks_uri answers 500 or refuses', async () => {
      for (const clientId of ['self-down', 'self-refused']) {
        const res = await tokenRequest(clientId, pki.selfSigned);
        expect(res.status).toBe(503);
        expect(res.body.error).toBe('temporarily_unavailable');
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
        expect((await ctx.stores.audit.list({ clientId, type: 'client.keys_unavailable' })).length).toBe(1);
      }
    });

    it('MUST refuse with invalid_client a certificate whose key the fetched jwks_uri does not hold', async () => {
      const res = await tokenRequest('self-remote', pki.selfSigned);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
      expect((await tokenRequest('self-remote', pki.selfSignedOther)).status).toBe(200);
    });
  });
});
