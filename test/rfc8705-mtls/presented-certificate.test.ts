import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { certificateFromHeader, certificateThumbprint } from '../../src/rfc8705-mtls/presented-certificate.js';
import { createListeners, type Listeners } from '../../src/security/tls.js';
import { createApp } from '../../src/server/app.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { postToken } from '../support/token-fixtures.js';
import { escapedPem, httpsCall, jwksOf, makeTestPki, type TestPki } from './mtls-fixtures.js';

describe(`RFC 8705 where the client certificate comes from (${backendName})`, () => {
  let pki: TestPki;
  let ctx: TestContext;
  let listeners: Listeners;
  let port: number;

  beforeAll(async () => {
    pki = makeTestPki();
    const issuer = 'https://127.0.0.1:8443';
    ctx = await createTestContext({ issuer, mtlsCaFile: pki.caFile });
    await createClient(ctx, { client_id: 'pki', grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'client-a.example' });
    await createClient(ctx, { client_id: 'self', grant_types: ['client_credentials'], token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: jwksOf(pki.selfSigned) });
    listeners = createListeners({ port: 0, issuer, tlsCertFile: join(pki.dir, 'server.pem'), tlsKeyFile: join(pki.dir, 'server-key.pem'), httpHeadersTimeout: 10, httpRequestTimeout: 30, mtlsCaFile: pki.caFile }, createApp(ctx));
    port = (await listeners.listen()).port;
  });
  afterAll(async () => {
    await listeners?.close(100);
    await ctx?.close();
    pki?.close();
  });

  describe('RFC 8705 §2 Castellan terminating TLS', () => {
    it('MUST authenticate a tls_client_auth client by the certificate of its TLS connection', async () => {
      const res = await httpsCall(pki, port, { path: '/token', client: pki.clientA, form: { grant_type: 'client_credentials', client_id: 'pki' } });
      expect(res.status).toBe(200);
      expect(res.body.access_token).toEqual(expect.any(String));
    });

    it('MUST accept a self-signed client certificate at the handshake and authenticate by it', async () => {
      const res = await httpsCall(pki, port, { path: '/token', client: pki.selfSigned, form: { grant_type: 'client_credentials', client_id: 'self' } });
      expect(res.status).toBe(200);
    });

    it('asks for a certificate without requiring one: a browser without one is served', async () => {
      const res = await httpsCall(pki, port, { path: '/.well-known/openid-configuration' });
      expect(res.status).toBe(200);
      const token = await httpsCall(pki, port, { path: '/token', form: { grant_type: 'client_credentials', client_id: 'pki' } });
      expect(token.status).toBe(401);
      expect(token.body.error).toBe('invalid_client');
    });

    it('MUST refuse a certificate from an untrusted CA even though the handshake accepted it', async () => {
      const res = await httpsCall(pki, port, { path: '/token', client: pki.rogueA, form: { grant_type: 'client_credentials', client_id: 'pki' } });
      expect(res.status).toBe(401);
    });
  });

  describe('RFC 8705 §6.5 behind a TLS-terminating proxy', () => {
    it('reads the URL-encoded PEM of nginx $ssl_client_escaped_cert, a plain PEM, and one with spaces for newlines', () => {
      const expected = certificateThumbprint(pki.clientA.x509);
      expect(certificateThumbprint(certificateFromHeader(escapedPem(pki.clientA))!)).toBe(expected);
      expect(certificateThumbprint(certificateFromHeader(pki.clientA.cert)!)).toBe(expected);
      expect(certificateThumbprint(certificateFromHeader(pki.clientA.cert.replace(/\n/g, ' '))!)).toBe(expected);
      expect(certificateFromHeader('not a certificate')).toBeUndefined();
      expect(certificateFromHeader('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toBeUndefined();
      expect(certificateFromHeader('%E0%A4%A')).toBeUndefined();
    });

    it('MUST believe the certificate header from a trusted proxy only, and audit one from anyone else', async () => {
      const form = { grant_type: 'client_credentials', client_id: 'pki' };
      const trusted = await createTestContext({ mtlsCaFile: pki.caFile, mtlsCertificateHeader: 'x-ssl-client-cert', trustedProxies: ['127.0.0.1', '::1'] });
      const untrusted = await createTestContext({ mtlsCaFile: pki.caFile, mtlsCertificateHeader: 'x-ssl-client-cert', trustedProxies: ['192.0.2.10'] });
      try {
        for (const each of [trusted, untrusted]) await createClient(each, { client_id: 'pki', grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'client-a.example' });
        const header = { 'X-SSL-Client-Cert': escapedPem(pki.clientA) };
        expect((await postToken(createApp(trusted), form, header)).status).toBe(200);
        const refused = await postToken(createApp(untrusted), form, header);
        expect(refused.status).toBe(401);
        expect(refused.body.error).toBe('invalid_client');
        await new Promise((resolve) => setTimeout(resolve, 50));
        const ignored = await untrusted.stores.audit.list({ type: 'mtls.certificate_header_ignored' });
        expect(ignored).toHaveLength(1);
        expect(ignored[0].details?.header).toBe('x-ssl-client-cert');
      } finally {
        await trusted.close();
        await untrusted.close();
      }
    });

    it('takes no certificate from a trusted proxy that sends no header (never its own connection certificate)', async () => {
      const behind = await createTestContext({ mtlsCaFile: pki.caFile, mtlsCertificateHeader: 'x-ssl-client-cert', trustedProxies: ['127.0.0.1', '::1'] });
      try {
        await createClient(behind, { client_id: 'pki', grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'client-a.example' });
        const res = await request(createApp(behind)).post('/token').type('form').send({ grant_type: 'client_credentials', client_id: 'pki' });
        expect(res.status).toBe(401);
      } finally {
        await behind.close();
      }
    });
  });
});
