/**
 * The example resource server (examples/resource-server) against a real Castellan: tokens are
 * checked by introspection as the `served_resources` client, DPoP-bound tokens need a valid proof,
 * certificate-bound ones the same client certificate (resource-server-process.test.ts: the command
 * line and a stalled Castellan).
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3
 * @spec https://openid.net/specs/fapi-2_0-security-profile.html#section-5.2.1 (the resource server's TLS)
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { connect as tlsConnect, type SecureVersion } from 'node:tls';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResourceServer, type RunningResourceServer } from '../../examples/resource-server/resource-server.mjs';
import { createClient } from '../../src/clients/client-service.js';
import { certificateThumbprint } from '../../src/rfc8705-mtls/presented-certificate.js';
import { httpsCall, makeTestPki, escapedPem, type TestPki } from '../rfc8705-mtls/mtls-fixtures.js';
import { dpopKey, dpopProof, unsignedProof, type DpopKey } from '../support/dpop-proofs.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';
import { basic, SECRET } from '../support/token-fixtures.js';

const CERT_HEADER = 'x-ssl-client-cert';

describe(`example resource server (${backendName})`, () => {
  let pki: TestPki;
  let castellan: RunningServer;
  let rs: RunningResourceServer;
  let key: DpopKey;
  const logLines: string[] = [];

  async function tokenFor(clientId: string, headers: Record<string, string> = {}): Promise<{ access_token: string; token_type: string }> {
    const res = await fetch(`${castellan.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId }).toString(),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { access_token: string; token_type: string };
  }
  const dpopToken = async (clientKey = key) => (await tokenFor('api-client', { authorization: basic('api-client', SECRET), dpop: await dpopProof(clientKey, { htu: `${castellan.issuer}/token` }) })).access_token;
  const bearerToken = async () => (await tokenFor('bearer-client', { authorization: basic('bearer-client', SECRET) })).access_token;

  async function callApi(headers: Record<string, string>, method = 'GET', path = '/api/me') {
    const res = await fetch(`${rs.url}${path}`, { method, headers });
    return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '', body: (await res.json()) as Record<string, unknown> };
  }
  const withProof = async (token: string, options: Partial<Parameters<typeof dpopProof>[1]> = {}, proofKey = key) =>
    callApi({ authorization: `DPoP ${token}`, dpop: await dpopProof(proofKey, { htm: 'GET', htu: `${rs.url}/api/me`, accessToken: token, ...options }) });

  beforeAll(async () => {
    pki = makeTestPki();
    castellan = await startTestServer({ mtlsCaFile: pki.caFile, mtlsCertificateHeader: CERT_HEADER, trustedProxies: ['127.0.0.1', '::1'] });
    const { ctx } = castellan;
    await createClient(ctx, { client_id: 'api-client', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'payments', dpop_bound_access_tokens: true });
    await createClient(ctx, { client_id: 'bearer-client', client_secret: SECRET, grant_types: ['client_credentials'] });
    await createClient(ctx, { client_id: 'other-api-client', client_secret: SECRET, grant_types: ['client_credentials'], resources: ['https://other.example/api'] });
    await createClient(ctx, { client_id: 'mtls-client', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'client-a.example', grant_types: ['client_credentials'], tls_client_certificate_bound_access_tokens: true });
    await createClient(ctx, { client_id: 'rs', client_secret: SECRET, grant_types: ['client_credentials'], served_resources: [] });
    key = await dpopKey();
    rs = await startResourceServer({ issuer: castellan.issuer, clientId: 'rs', clientSecret: SECRET, log: (line) => logLines.push(line) });
  });
  afterAll(async () => {
    await rs?.close();
    await castellan?.close();
    pki?.close();
  });

  describe('RFC 9449 §7.1 DPoP-bound access tokens', () => {
    it('answers 200 with sub, client_id and scope for a DPoP-bound token and a valid proof (GET and POST)', async () => {
      const token = await dpopToken();
      const res = await withProof(token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ sub: 'api-client', client_id: 'api-client', scope: 'payments' });
      const post = await callApi({ authorization: `DPoP ${token}`, dpop: await dpopProof(key, { htm: 'POST', htu: `${rs.url}/api/me`, accessToken: token }) }, 'POST');
      expect(post.status).toBe(200);
    });

    it('accepts an htu with a query and fragment, and scheme and host in capitals (RFC 9449 §4.3, RFC 3986 §6.2.2)', async () => {
      const token = await dpopToken();
      expect((await withProof(token, { htu: `${rs.url}/api/me?x=1#f` })).status).toBe(200);
      expect((await withProof(token, { htu: rs.url.replace('http://', 'HTTP://') + '/api/me' })).status).toBe(200);
    });

    it('refuses a replayed proof with invalid_dpop_proof', async () => {
      const token = await dpopToken();
      const proof = await dpopProof(key, { htm: 'GET', htu: `${rs.url}/api/me`, accessToken: token });
      expect((await callApi({ authorization: `DPoP ${token}`, dpop: proof })).status).toBe(200);
      const replay = await callApi({ authorization: `DPoP ${token}`, dpop: proof });
      expect(replay.status).toBe(401);
      expect(replay.challenge).toMatch(/^DPoP error="invalid_dpop_proof".*algs="[^"]*ES256/);
    });

    it('answers 503 rather than forget a live jti when its replay cache is full', async () => {
      const small = await startResourceServer({ issuer: castellan.issuer, clientId: 'rs', clientSecret: SECRET, replayCacheSize: 1, log: () => {} });
      try {
        const token = await dpopToken();
        const call = async () => (await fetch(`${small.url}/api/me`, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(key, { htm: 'GET', htu: `${small.url}/api/me`, accessToken: token }) } })).status;
        expect(await call()).toBe(200);
        expect(await call()).toBe(503);
      } finally {
        await small.close();
      }
    });

    const broken: [string, Partial<Parameters<typeof dpopProof>[1]>][] = [
      ['a wrong htu', { htu: 'http://localhost:1/api/me' }],
      ['a wrong htm', { htm: 'PUT' }],
      ['an iat an hour old', { iat: Math.floor(Date.now() / 1000) - 3600 }],
      ['an iat an hour ahead', { iat: Math.floor(Date.now() / 1000) + 3600 }],
      ['no ath', { claims: { ath: undefined } }],
      ['a wrong ath', { claims: { ath: 'A'.repeat(43) } }],
      ['no typ', { header: { typ: undefined } }],
      ['typ jwt', { header: { typ: 'jwt' } }],
    ];
    for (const [what, options] of broken) {
      it(`refuses a proof with ${what}: 401 invalid_dpop_proof`, async () => {
        const res = await withProof(await dpopToken(), options);
        expect(res.status).toBe(401);
        expect(res.challenge).toMatch(/^DPoP error="invalid_dpop_proof"/);
      });
    }

    it('refuses alg none, RS256 (FAPI 2.0 SP §5.4; allowed only through dpopAlgs), a private jwk and a proof that is no JWS', async () => {
      const token = await dpopToken();
      const htu = `${rs.url}/api/me`;
      const claims = { jti: 'none-1', htm: 'GET', htu, iat: Math.floor(Date.now() / 1000), ath: createHash('sha256').update(token).digest('base64url') };
      const privateJwk = await exportJWK(key.privateKey);
      const proofs = [
        unsignedProof(key, claims),
        await dpopProof(key, { htm: 'GET', htu, accessToken: token, header: { jwk: privateJwk } }),
        (await dpopProof(key, { htm: 'GET', htu, accessToken: token })).split('.').slice(0, 2).join('.'),
      ];
      for (const proof of proofs) {
        const res = await callApi({ authorization: `DPoP ${token}`, dpop: proof });
        expect(res.status).toBe(401);
        expect(res.challenge).toMatch(/^DPoP error="invalid_dpop_proof", .*algs="ES256 ES384 ES512 PS256 PS384 PS512 EdDSA"$/);
      }
      const rsaKey = await dpopKey('RS256');
      const rsaToken = await dpopToken(rsaKey);
      expect((await withProof(rsaToken, {}, rsaKey)).challenge).toMatch(/^DPoP error="invalid_dpop_proof"/);
      const lenient = await startResourceServer({ issuer: castellan.issuer, clientId: 'rs', clientSecret: SECRET, dpopAlgs: ['RS256', 'ES256'], log: () => {} });
      try {
        const res = await fetch(`${lenient.url}/api/me`, { headers: { authorization: `DPoP ${rsaToken}`, dpop: await dpopProof(rsaKey, { htm: 'GET', htu: `${lenient.url}/api/me`, accessToken: rsaToken }) } });
        expect(res.status).toBe(200);
      } finally {
        await lenient.close();
      }
      await expect(startResourceServer({ issuer: castellan.issuer, clientId: 'rs', clientSecret: SECRET, dpopAlgs: ['HS256'] })).rejects.toThrow(/asymmetric/);
    });

    it('refuses a proof signed with another key: 401 invalid_token', async () => {
      const res = await withProof(await dpopToken(), {}, await dpopKey());
      expect(res.status).toBe(401);
      expect(res.challenge).toMatch(/^DPoP error="invalid_token"/);
    });

    it('refuses a DPoP-bound token presented as Bearer, or without a proof, or with two proofs', async () => {
      const token = await dpopToken();
      const asBearer = await callApi({ authorization: `Bearer ${token}`, dpop: await dpopProof(key, { htm: 'GET', htu: `${rs.url}/api/me`, accessToken: token }) });
      expect(asBearer.status).toBe(401);
      expect(asBearer.challenge).toMatch(/^DPoP error="invalid_token"/);
      const noProof = await callApi({ authorization: `DPoP ${token}` });
      expect(noProof.challenge).toMatch(/^DPoP error="invalid_dpop_proof"/);
      const two = await rawCall([['authorization', `DPoP ${token}`], ['dpop', await dpopProof(key, { htm: 'GET', htu: `${rs.url}/api/me`, accessToken: token })], ['dpop', await dpopProof(key, { htm: 'GET', htu: `${rs.url}/api/me`, accessToken: token })]]);
      expect(two.status).toBe(401);
    });
  });

  describe('RFC 6750 bearer tokens and inactive tokens', () => {
    it('accepts an unbound token with the Bearer scheme, and refuses it with the DPoP scheme', async () => {
      const token = await bearerToken();
      expect((await callApi({ authorization: `Bearer ${token}` })).status).toBe(200);
      expect((await callApi({ authorization: `bearer ${token}` })).status).toBe(200);
      expect((await withProof(token)).challenge).toMatch(/^DPoP error="invalid_token"/);
    });

    it('answers 401 invalid_token for a revoked token and an unknown one, and 401 without an error code when no token is sent', async () => {
      const token = await bearerToken();
      const revoke = await fetch(`${castellan.issuer}/revoke`, { method: 'POST', headers: { authorization: basic('bearer-client', SECRET), 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });
      expect(revoke.status).toBe(200);
      for (const presented of [token, 'not-a-token-castellan-issued']) {
        const res = await callApi({ authorization: `Bearer ${presented}` });
        expect(res.status).toBe(401);
        expect(res.challenge).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
      }
      const none = await callApi({});
      expect(none.status).toBe(401);
      expect(none.challenge).not.toMatch(/error=/);
    });

    it('is shown no token meant for another resource (served_resources policy): 401 invalid_token', async () => {
      const res = await tokenFor('other-api-client', { authorization: basic('other-api-client', SECRET) });
      const token = (await (await fetch(`${castellan.issuer}/token`, {
        method: 'POST', headers: { authorization: basic('other-api-client', SECRET), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://other.example/api' }).toString(),
      })).json()) as { access_token: string };
      expect((await callApi({ authorization: `Bearer ${res.access_token}` })).status).toBe(200);
      expect((await callApi({ authorization: `Bearer ${token.access_token}` })).status).toBe(401);
    });

    it('answers bad input cleanly: two Authorization headers 400, a malformed one 400, an unknown scheme 401', async () => {
      const token = await bearerToken();
      expect((await rawCall([['authorization', `Bearer ${token}`], ['authorization', `Bearer ${token}`]])).status).toBe(400);
      expect(logLines.at(-1)).toContain('more than one Authorization header');
      expect((await callApi({ authorization: 'Bearer a b' })).status).toBe(400);
      expect((await callApi({ authorization: `Basic ${token}` })).status).toBe(401);
      expect((await rawCall([['authorization', `Bearer ${'a'.repeat(20_000)}`]])).status).toBe(431);
      expect((await callApi({ authorization: `Bearer ${token}` }, 'DELETE')).status).toBe(405);
    });

    it('never logs a token', () => {
      expect(logLines.length).toBeGreaterThan(5);
      expect(logLines.join('\n')).not.toMatch(/DPoP [A-Za-z0-9_-]{20}|Bearer [A-Za-z0-9_-]{20}|eyJ/);
    });
  });

  describe('RFC 8705 §3 certificate-bound access tokens', () => {
    it('accepts the token with the certificate it is bound to, and refuses it without one or with another (401 invalid_token)', async () => {
      const { access_token: token } = await tokenFor('mtls-client', { [CERT_HEADER]: escapedPem(pki.clientA) });
      const tlsRs = await startResourceServer({ issuer: castellan.issuer, clientId: 'rs', clientSecret: SECRET, tls: pki.server, log: () => {} });
      try {
        const port = Number(new URL(tlsRs.url).port);
        const call = (client?: typeof pki.clientA) => httpsCall(pki, port, { path: '/api/me', client, headers: { authorization: `Bearer ${token}` } });
        const bound = await call(pki.clientA);
        expect(bound.status).toBe(200);
        expect(bound.body.client_id).toBe('mtls-client');
        for (const other of [undefined, pki.clientB, pki.selfSigned]) {
          const res = await call(other);
          expect(res.status).toBe(401);
          expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
        }
        expect(certificateThumbprint(pki.clientA.x509)).toBeTruthy();
      } finally {
        await tlsRs.close();
      }
    });
  });

  describe('FAPI 2.0 SP §5.2.1 TLS of the resource server', () => {
    /** The protocol and suite a client limited to `version` and `ciphers` gets, or the handshake error. */
    function handshake(port: number, version: SecureVersion, ciphers: string): Promise<{ protocol: string | null; cipher: string } | { error: string }> {
      return new Promise((resolve) => {
        // SECLEVEL=0 lets the client offer what old clients offer, so a refusal is the server's doing.
        const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: version, maxVersion: version, ciphers: `${ciphers}@SECLEVEL=0` }, () => {
          resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name });
          socket.end();
        });
        socket.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      });
    }

    it('MUST refuse TLS 1.1 and TLS 1.2 suites outside BCP 195 (CCM_8, CBC), and accept TLS 1.3 and TLS 1.2 AES-GCM', async () => {
      const tlsRs = await startResourceServer({ issuer: castellan.issuer, clientId: 'rs', clientSecret: SECRET, tls: pki.server, log: () => {} });
      try {
        const port = Number(new URL(tlsRs.url).port);
        expect(await handshake(port, 'TLSv1.1', 'DEFAULT')).toHaveProperty('error');
        expect(await handshake(port, 'TLSv1.2', 'ECDHE-ECDSA-AES256-CCM8')).toHaveProperty('error');
        expect(await handshake(port, 'TLSv1.2', 'ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA')).toHaveProperty('error');
        expect(await handshake(port, 'TLSv1.2', 'DEFAULT')).toMatchObject({ protocol: 'TLSv1.2', cipher: expect.stringMatching(/-GCM-SHA\d+$/) });
        expect(await handshake(port, 'TLSv1.3', 'DEFAULT')).toMatchObject({ protocol: 'TLSv1.3' });
      } finally {
        await tlsRs.close();
      }
    });
  });

  /** A request with repeated headers, which fetch would fold into one, written to the socket as is. */
  function rawCall(headers: [string, string][]): Promise<{ status: number }> {
    const url = new URL(`${rs.url}/api/me`);
    const lines = ['GET /api/me HTTP/1.1', `host: ${url.host}`, 'connection: close', ...headers.map(([name, value]) => `${name}: ${value}`)];
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write(lines.join('\r\n') + '\r\n\r\n'));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0) }));
      socket.on('error', reject);
    });
  }
});
