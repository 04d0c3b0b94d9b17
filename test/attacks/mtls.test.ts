/**
 * Attack family: mutual TLS (RFC 8705). An attacker who holds a valid certificate of its own (issued
 * by the same CA, or self-signed) tries to pass as another client or to use another client's bound
 * token; an attacker on the network side of a TLS-terminating proxy writes the certificate header
 * itself. Each case cites the RFC 8705 §7 consideration or the FAPI 2.0 attacker (A1: sends
 * arbitrary requests to the AS; A5: has a stolen access token) it defends.
 */
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createApp } from '../../src/server/app.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { postToken } from '../support/token-fixtures.js';
import { escapedPem, jwksOf, makeTestPki, type Credential, type TestPki } from '../rfc8705-mtls/mtls-fixtures.js';

const HEADER = 'X-SSL-Client-Cert';

describe(`attack suite: mutual TLS (${backendName})`, () => {
  let pki: TestPki;
  /** Behind a trusted proxy on loopback. */
  let ctx: TestContext;
  let app: Express;
  /** Direct exposure: the only trusted proxy is elsewhere, so a header from loopback is forged. */
  let exposed: TestContext;
  let exposedApp: Express;

  const tokenRequest = (target: Express, clientId: string, presented?: Credential) =>
    postToken(target, { grant_type: 'client_credentials', client_id: clientId }, presented ? { [HEADER]: escapedPem(presented) } : {});

  beforeAll(async () => {
    pki = makeTestPki();
    ctx = await createTestContext({ mtlsCaFile: pki.caFile, mtlsCertificateHeader: HEADER.toLowerCase(), trustedProxies: ['127.0.0.1', '::1'] });
    exposed = await createTestContext({ mtlsCaFile: pki.caFile, mtlsCertificateHeader: HEADER.toLowerCase(), trustedProxies: ['192.0.2.10'] });
    app = createApp(ctx);
    exposedApp = createApp(exposed);
    for (const each of [ctx, exposed]) {
      await createClient(each, { client_id: 'victim', grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=client-a,O=Castellan Test,C=SE', tls_client_certificate_bound_access_tokens: true });
      await createClient(each, { client_id: 'attacker', grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'client-b.example' });
      await createClient(each, { client_id: 'self-victim', grant_types: ['client_credentials'], token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: jwksOf(pki.selfSigned) });
    }
  });
  afterAll(async () => {
    await ctx?.close();
    await exposed?.close();
    pki?.close();
  });

  it('RFC 8705 §7.5 (certificate spoofing): a valid certificate of another client does not authenticate as the victim', async () => {
    const res = await tokenRequest(app, 'victim', pki.clientB);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    // The attacker's own certificate works for the attacker only.
    expect((await tokenRequest(app, 'attacker', pki.clientB)).status).toBe(200);
  });

  it('RFC 8705 §7.5: the victim\'s subject DN in a certificate from a CA that is not a trust anchor is refused', async () => {
    expect((await tokenRequest(app, 'victim', pki.rogueA)).status).toBe(401);
  });

  it('RFC 8705 §2.2: a self-signed certificate with the victim\'s subject but another key is refused', async () => {
    expect((await tokenRequest(app, 'self-victim', pki.selfSignedOther)).status).toBe(401);
  });

  it('RFC 8705 §6.5, FAPI 2.0 attacker A1: a certificate header forged by a client that is not the proxy is ignored and audited', async () => {
    const res = await tokenRequest(exposedApp, 'victim', pki.clientA);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const audited = await exposed.stores.audit.list({ type: 'mtls.certificate_header_ignored' });
    expect(audited.length).toBeGreaterThan(0);
  });

  it('RFC 8705 §3, FAPI 2.0 attacker A5: a stolen certificate-bound token is useless to the holder of another certificate', async () => {
    const stolen = (await tokenRequest(app, 'victim', pki.clientA)).body.access_token as string;
    expect(stolen).toEqual(expect.any(String));
    const replayed = await request(app).get('/userinfo').set('Authorization', `Bearer ${stolen}`).set(HEADER, escapedPem(pki.clientB));
    expect(replayed.status).toBe(401);
    expect(replayed.body.error).toBe('invalid_token');
    const bare = await request(app).get('/userinfo').set('Authorization', `Bearer ${stolen}`);
    expect(bare.status).toBe(401);
    // With the victim's own certificate the token passes the binding check (and then lacks openid).
    const rightful = await request(app).get('/userinfo').set('Authorization', `Bearer ${stolen}`).set(HEADER, escapedPem(pki.clientA));
    expect(rightful.body.error).not.toBe('invalid_token');
  });
});
