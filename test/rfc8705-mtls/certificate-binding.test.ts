import type { Express } from 'express';
import { decodeJwt } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { certificateThumbprint } from '../../src/rfc8705-mtls/presented-certificate.js';
import { createApp } from '../../src/server/app.js';
import { TOKEN_PHASES } from '../../src/server/token-endpoint.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { createUser } from '../../src/users/user-service.js';
import { dpopKey, dpopProof } from '../support/dpop-proofs.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { issueCode, postToken, REDIRECT } from '../support/token-fixtures.js';
import { escapedPem, makeTestPki, type Credential, type TestPki } from './mtls-fixtures.js';

const HEADER = 'X-SSL-Client-Cert';

describe(`RFC 8705 §3 certificate-bound access tokens (${backendName})`, () => {
  let pki: TestPki;
  let ctx: TestContext;
  let app: Express;
  let user: UserRecord;
  let thumbprintA: string;

  const withCertificate = (presented?: Credential): Record<string, string> => (presented ? { [HEADER]: escapedPem(presented) } : {});
  const clientCredentials = (clientId: string, presented?: Credential) => postToken(app, { grant_type: 'client_credentials', client_id: clientId }, withCertificate(presented));

  /** Tokens from the code grant for `clientId`, requested with `presented`. */
  async function codeTokens(clientId: string, presented?: Credential) {
    const issued = await issueCode(ctx, { clientId, userId: user.id, scope: 'openid email offline_access' });
    return postToken(app, { grant_type: 'authorization_code', client_id: clientId, code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier }, withCertificate(presented));
  }

  const userinfo = (token: string, presented?: Credential) => {
    let req = request(app).get('/userinfo').set('Authorization', `Bearer ${token}`);
    for (const [name, value] of Object.entries(withCertificate(presented))) req = req.set(name, value);
    return req;
  };

  beforeAll(async () => {
    pki = makeTestPki();
    thumbprintA = certificateThumbprint(pki.clientA.x509);
    ctx = await createTestContext({ mtlsCaFile: pki.caFile, mtlsCertificateHeader: HEADER.toLowerCase(), trustedProxies: ['127.0.0.1', '::1'] });
    app = createApp(ctx);
    const pkiClient = { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'client-a.example' };
    await createClient(ctx, { client_id: 'bound', ...pkiClient, grant_types: ['client_credentials'], tls_client_certificate_bound_access_tokens: true });
    await createClient(ctx, { client_id: 'bound-jwt', ...pkiClient, grant_types: ['client_credentials'], tls_client_certificate_bound_access_tokens: true, access_token_format: 'jwt' });
    await createClient(ctx, { client_id: 'unbound', ...pkiClient, grant_types: ['client_credentials'] });
    await createClient(ctx, { client_id: 'bound-web', ...pkiClient, grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [REDIRECT], tls_client_certificate_bound_access_tokens: true });
    await createClient(ctx, { client_id: 'public-bound', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [REDIRECT], tls_client_certificate_bound_access_tokens: true });
    user = await createUser(ctx, { username: 'mira', password: 'mira has a long password', claims: { email: 'mira@example.com' } });
  });
  afterAll(async () => {
    await ctx?.close();
    pki?.close();
  });

  it('orders the certificate binding hook with the extension hooks, after the DPoP proof and before the grant runs (STYLE §2)', () => {
    const names = TOKEN_PHASES.map((phase) => phase.name);
    expect(names.indexOf('bindCertificate')).toBe(names.indexOf('checkDpopProof') + 1);
    expect(names.indexOf('runGrant')).toBe(names.indexOf('bindCertificate') + 1);
  });

  it('RFC 8705 §3.1 MUST put cnf x5t#S256, the SHA-256 of the certificate, in a JWT access token', async () => {
    const res = await clientCredentials('bound-jwt', pki.clientA);
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
    expect(decodeJwt(res.body.access_token).cnf).toEqual({ 'x5t#S256': thumbprintA });
  });

  it('RFC 8705 §3.2 MUST show cnf x5t#S256 of a bound opaque token in introspection', async () => {
    const token = (await clientCredentials('bound', pki.clientA)).body.access_token as string;
    const res = await request(app).post('/introspect').type('form').set(HEADER, escapedPem(pki.clientA)).send({ token, client_id: 'bound' });
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(true);
    expect(res.body.cnf).toEqual({ 'x5t#S256': thumbprintA });
  });

  it('does not bind the tokens of a client that did not register tls_client_certificate_bound_access_tokens', async () => {
    const token = (await clientCredentials('unbound', pki.clientA)).body.access_token as string;
    const res = await request(app).post('/introspect').type('form').set(HEADER, escapedPem(pki.clientA)).send({ token, client_id: 'unbound' });
    expect(res.body.active).toBe(true);
    expect(res.body.cnf).toBeUndefined();
  });

  it('binds a token to the DPoP key and the certificate at once; the resource then needs both', async () => {
    const key = await dpopKey('ES256');
    const issued = await issueCode(ctx, { clientId: 'bound-web', userId: user.id, scope: 'openid email' });
    const proof = await dpopProof(key, { htu: 'http://localhost:3000/token', iat: ctx.clock() });
    const res = await postToken(app, { grant_type: 'authorization_code', client_id: 'bound-web', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier }, { ...withCertificate(pki.clientA), DPoP: proof });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    const token = res.body.access_token as string;
    const introspected = await request(app).post('/introspect').type('form').set(HEADER, escapedPem(pki.clientA)).send({ token, client_id: 'bound-web' });
    expect(introspected.body.cnf).toEqual({ jkt: key.jkt, 'x5t#S256': thumbprintA });
    const resourceProof = () => dpopProof(key, { htm: 'GET', htu: 'http://localhost:3000/userinfo', iat: ctx.clock(), accessToken: token });
    const withBoth = await request(app).get('/userinfo').set('Authorization', `DPoP ${token}`).set('DPoP', await resourceProof()).set(HEADER, escapedPem(pki.clientA));
    expect(withBoth.status).toBe(200);
    const proofOnly = await request(app).get('/userinfo').set('Authorization', `DPoP ${token}`).set('DPoP', await resourceProof());
    expect(proofOnly.status).toBe(401);
    expect(proofOnly.body.error).toBe('invalid_token');
  });

  describe('RFC 8705 §3 at the protected resource (UserInfo)', () => {
    it('MUST accept a bound token presented with the certificate it is bound to', async () => {
      const token = (await codeTokens('bound-web', pki.clientA)).body.access_token as string;
      const res = await userinfo(token, pki.clientA);
      expect(res.status).toBe(200);
      expect(res.body.sub).toBe(user.id);
    });

    it('MUST reject a bound token presented without a certificate or with another one: 401 invalid_token', async () => {
      const token = (await codeTokens('bound-web', pki.clientA)).body.access_token as string;
      for (const presented of [undefined, pki.clientB]) {
        const res = await userinfo(token, presented);
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('invalid_token');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
      }
    });
  });

  describe('RFC 8705 §3.4 tls_client_certificate_bound_access_tokens', () => {
    it('refuses a token request of such a client made without a certificate', async () => {
      const res = await codeTokens('public-bound');
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });
  });

  describe('RFC 8705 §4 refresh tokens of public clients', () => {
    it('binds a public client\'s refresh token to the certificate: another certificate cannot use it, the same one can', async () => {
      const first = await codeTokens('public-bound', pki.clientB);
      expect(first.status).toBe(200);
      const refresh = first.body.refresh_token as string;
      const stolen = await postToken(app, { grant_type: 'refresh_token', client_id: 'public-bound', refresh_token: refresh }, withCertificate(pki.clientA));
      expect(stolen.status).toBe(400);
      expect(stolen.body.error).toBe('invalid_grant');
      const rightful = await postToken(app, { grant_type: 'refresh_token', client_id: 'public-bound', refresh_token: refresh }, withCertificate(pki.clientB));
      expect(rightful.status).toBe(200);
      expect((await userinfo(rightful.body.access_token, pki.clientB)).status).toBe(200);
    });
  });
});
