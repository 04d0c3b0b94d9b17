import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createClient } from '../../src/clients/client-service.js';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { authenticateWithAssertion, CLOCK_TOLERANCE, JWT_BEARER } from '../../src/rfc7523-jwt-client-auth/client-assertion.js';
import { createApp } from '../../src/server/app.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { postToken, SECRET, storedState } from '../support/token-fixtures.js';

const SYMMETRIC = 'an-hmac-key-that-sits-in-a-jwks-0123456789';

describe(`RFC 7523 §3 JWT client assertions (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  let esKey: CryptoKey;
  let rsKey: CryptoKey;
  let remoteKey: CryptoKey;
  let rotatedKey: CryptoKey;
  let rotatedDocument: string;
  let jwksServer: Server;
  const documents = new Map<string, string>();
  const hits = new Map<string, number>();

  interface AssertionOptions {
    alg?: string;
    key?: CryptoKey | Uint8Array;
    kid?: string;
    claims?: Record<string, unknown>;
    omit?: string[];
  }
  /** A signed assertion for `clientId`: iss = sub = clientId, aud = issuer, 60 s lifetime, fresh jti. */
  function assertion(clientId: string, options: AssertionOptions = {}): Promise<string> {
    const now = ctx.clock();
    const claims: Record<string, unknown> = { iss: clientId, sub: clientId, aud: ctx.config.issuer, iat: now, exp: now + 60, jti: randomUUID(), ...options.claims };
    for (const name of options.omit ?? []) delete claims[name];
    const alg = options.alg ?? 'ES256';
    return new SignJWT(claims).setProtectedHeader({ alg, kid: options.kid }).sign(options.key ?? esKey);
  }
  const hmac = (secret = SECRET) => new TextEncoder().encode(secret);
  const verify = (jwt: string, clientId?: string) => authenticateWithAssertion(ctx, { assertionType: JWT_BEARER, assertion: jwt, clientId });
  const rejection = (work: Promise<unknown>) => work.then(() => undefined, (error: unknown) => error as OAuthError);

  async function expectInvalidClient(jwt: string | Promise<string>, clientId?: string) {
    const error = await rejection(verify(await jwt, clientId));
    expect(error).toBeInstanceOf(OAuthError);
    expect(error?.code).toBe('invalid_client');
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    const es = await generateKeyPair('ES256', { extractable: true });
    esKey = es.privateKey;
    const rs = await generateKeyPair('RS256', { extractable: true });
    rsKey = rs.privateKey;
    const remote = await generateKeyPair('ES256', { extractable: true });
    remoteKey = remote.privateKey;
    const oct = { kty: 'oct', k: Buffer.from(SYMMETRIC).toString('base64url'), kid: 'sym' };
    await createClient(ctx, {
      client_id: 'pk', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await exportJWK(es.publicKey)), kid: 'es1' }, { ...(await exportJWK(rs.publicKey)), kid: 'rs1' }, oct] },
    });
    await createClient(ctx, {
      client_id: 'pk-rs-only', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'RS256',
      jwks: { keys: [{ ...(await exportJWK(es.publicKey)), kid: 'es1' }, { ...(await exportJWK(rs.publicKey)), kid: 'rs1' }] },
    });
    await createClient(ctx, { client_id: 'hs', client_secret: SECRET, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_jwt' });
    await createClient(ctx, { client_id: 'basic', client_secret: SECRET, grant_types: ['client_credentials'] });
    const rotated = await generateKeyPair('ES256', { extractable: true });
    rotatedKey = rotated.privateKey;
    documents.set('/jwks', JSON.stringify({ keys: [{ ...(await exportJWK(remote.publicKey)), kid: 'remote1', alg: 'ES256' }] }));
    documents.set('/rotating', JSON.stringify({ keys: [{ ...(await exportJWK(remote.publicKey)), kid: 'remote1' }] }));
    rotatedDocument = JSON.stringify({ keys: [{ ...(await exportJWK(rotated.publicKey)), kid: 'remote2' }] });
    documents.set('/not-a-jwks', JSON.stringify({ hello: 'world' }));
    jwksServer = createServer((req, res) => {
      hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
      const document = documents.get(req.url ?? '');
      if (document) res.writeHead(200, { 'content-type': 'application/json' }).end(document);
      else res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
    for (const [clientId, path] of [['pk-remote', '/jwks'], ['pk-rotating', '/rotating'], ['pk-bad-uri', '/not-a-jwks'], ['pk-redirect', '/redirect']]) {
      await createClient(ctx, { client_id: clientId, grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: base + path });
    }
  });
  afterAll(async () => {
    jwksServer.closeAllConnections();
    await new Promise((resolve) => jwksServer.close(resolve));
    await ctx.close();
  });

  describe('valid assertions', () => {
    it('MUST accept a private_key_jwt assertion signed with a registered ES256 key', async () => {
      expect((await verify(await assertion('pk', { kid: 'es1' }))).clientId).toBe('pk');
    });
    it('MUST accept a private_key_jwt assertion signed with a registered RS256 key', async () => {
      expect((await verify(await assertion('pk', { alg: 'RS256', key: rsKey, kid: 'rs1' }))).clientId).toBe('pk');
    });
    it.each(['PS256', 'EdDSA'] as const)('MUST accept a private_key_jwt assertion signed with a registered %s key', async (alg) => {
      const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
      const clientId = `pk-${alg.toLowerCase()}`;
      await createClient(ctx, {
        client_id: clientId, grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: alg,
        jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: `${alg}-1` }] },
      });
      expect((await verify(await assertion(clientId, { alg, key: pair.privateKey, kid: `${alg}-1` }))).clientId).toBe(clientId);
    });
    it('MUST accept a client_secret_jwt assertion made with the client secret (HS256 and HS512)', async () => {
      expect((await verify(await assertion('hs', { alg: 'HS256', key: hmac() }))).clientId).toBe('hs');
      expect((await verify(await assertion('hs', { alg: 'HS512', key: hmac() }), 'hs')).clientId).toBe('hs');
    });
    it('MUST verify with the client\'s current secret only: a changed secret ends the old one at once', async () => {
      await createClient(ctx, { client_id: 'hs-changing', client_secret: SECRET, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_jwt' });
      expect((await verify(await assertion('hs-changing', { alg: 'HS256', key: hmac() }))).clientId).toBe('hs-changing');
      const next = 'n'.repeat(43);
      const stored = (await ctx.stores.clients.find('hs-changing'))!;
      await ctx.stores.clients.update({ ...stored, secretHash: hashHandle(next), secretEncrypted: ctx.sealer.seal(next) });
      await expectInvalidClient(assertion('hs-changing', { alg: 'HS256', key: hmac() }));
      expect((await verify(await assertion('hs-changing', { alg: 'HS256', key: hmac(next) }))).clientId).toBe('hs-changing');
      expect((await verify(await assertion('hs-changing', { alg: 'HS384', key: hmac(next) }))).clientId).toBe('hs-changing');
    });
    it('accepts keys from the client\'s jwks_uri', async () => {
      expect((await verify(await assertion('pk-remote', { kid: 'remote1', key: remoteKey }))).clientId).toBe('pk-remote');
    });
    it('fetches jwks_uri once and serves later assertions from the cache', async () => {
      await verify(await assertion('pk-remote', { kid: 'remote1', key: remoteKey }));
      await verify(await assertion('pk-remote', { kid: 'remote1', key: remoteKey }));
      expect(hits.get('/jwks')).toBe(1);
    });
    it('refetches jwks_uri for an unknown kid (client key rotation), at most once per cooldown', async () => {
      await verify(await assertion('pk-rotating', { kid: 'remote1', key: remoteKey }));
      expect(hits.get('/rotating')).toBe(1);
      documents.set('/rotating', rotatedDocument);
      await expectInvalidClient(assertion('pk-rotating', { kid: 'remote2', key: rotatedKey }));
      expect(hits.get('/rotating')).toBe(1);
      ctx.clock.advance(30);
      try {
        expect((await verify(await assertion('pk-rotating', { kid: 'remote2', key: rotatedKey }))).clientId).toBe('pk-rotating');
        expect(hits.get('/rotating')).toBe(2);
      } finally {
        ctx.clock.advance(-30);
      }
    });
    it('MUST reject when jwks_uri does not return a JWK Set or redirects', async () => {
      await expectInvalidClient(assertion('pk-bad-uri', { key: remoteKey }));
      await expectInvalidClient(assertion('pk-redirect', { key: remoteKey }));
    });
    it('accepts the token endpoint URL as aud unless strict audience is configured', async () => {
      expect((await verify(await assertion('pk', { kid: 'es1', claims: { aud: `${ctx.config.issuer}/token` } }))).clientId).toBe('pk');
    });
    it('authenticates at the token endpoint and issues a token', async () => {
      const response = await postToken(app, { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: await assertion('pk', { kid: 'es1' }) });
      expect(response.status).toBe(200);
    });
  });

  describe('signature and algorithm', () => {
    it('MUST reject an unsigned assertion (alg none)', async () => {
      const now = ctx.clock();
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'pk', sub: 'pk', aud: ctx.config.issuer, exp: now + 60, jti: randomUUID() })).toString('base64url')}.`;
      await expectInvalidClient(unsigned);
    });
    it('MUST reject an HMAC assertion for a private_key_jwt client, even with an oct key in its JWKS', () =>
      expectInvalidClient(assertion('pk', { alg: 'HS256', key: new TextEncoder().encode(SYMMETRIC), kid: 'sym' })));
    it('MUST reject an RS256 assertion for a client_secret_jwt client', () => expectInvalidClient(assertion('hs', { alg: 'RS256', key: rsKey })));
    it('MUST reject an alg other than the registered token_endpoint_auth_signing_alg', () => expectInvalidClient(assertion('pk-rs-only', { kid: 'es1' })));
    it('MUST reject an HMAC made with the wrong secret', () => expectInvalidClient(assertion('hs', { alg: 'HS256', key: hmac('y'.repeat(40)) })));
    it('MUST reject a signature by a key the client did not register', async () => {
      const stranger = (await generateKeyPair('ES256')).privateKey;
      await expectInvalidClient(assertion('pk', { kid: 'es1', key: stranger }));
    });
    it('MUST reject an assertion for a client registered for another method', () => expectInvalidClient(assertion('basic', { alg: 'HS256', key: hmac() })));
    it('MUST reject malformed assertions', async () => {
      for (const jwt of ['not.a.jwt', 'abc', '', 'a.b', `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.e30.sig`]) await expectInvalidClient(jwt);
    });
    it('MUST reject an unsupported client_assertion_type', async () => {
      const error = await rejection(authenticateWithAssertion(ctx, { assertionType: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', assertion: await assertion('pk', { kid: 'es1' }) }));
      expect(error?.code).toBe('invalid_client');
    });
  });

  describe('claims (§3)', () => {
    it('MUST reject an aud that is not this server', () => expectInvalidClient(assertion('pk', { kid: 'es1', claims: { aud: 'https://elsewhere.example' } })));
    it('MUST reject a missing aud', () => expectInvalidClient(assertion('pk', { kid: 'es1', omit: ['aud'] })));
    it('MUST reject iss different from sub', () => expectInvalidClient(assertion('pk', { kid: 'es1', claims: { iss: 'hs' } })));
    it('MUST reject a sub naming another client', () => expectInvalidClient(assertion('hs', { kid: 'es1' })));
    it('MUST reject a client_id parameter that differs from the assertion', async () => expectInvalidClient(assertion('pk', { kid: 'es1' }), 'hs'));
    it('MUST reject a missing exp', () => expectInvalidClient(assertion('pk', { kid: 'es1', omit: ['exp'] })));
    it('MUST reject an expired assertion (beyond the clock tolerance)', () =>
      expectInvalidClient(assertion('pk', { kid: 'es1', claims: { iat: ctx.clock() - 120, exp: ctx.clock() - CLOCK_TOLERANCE - 1 } })));
    it('accepts an assertion that expired within the clock tolerance', async () => {
      expect((await verify(await assertion('pk', { kid: 'es1', claims: { iat: ctx.clock() - 60, exp: ctx.clock() - 5 } }))).clientId).toBe('pk');
    });
    it('MUST reject an assertion living more than 10 minutes', async () => {
      await expectInvalidClient(assertion('pk', { kid: 'es1', claims: { exp: ctx.clock() + 601 } }));
      await expectInvalidClient(assertion('pk', { kid: 'es1', omit: ['iat'], claims: { exp: ctx.clock() + 700 } }));
      expect((await verify(await assertion('pk', { kid: 'es1', claims: { exp: ctx.clock() + 600 } }))).clientId).toBe('pk');
    });
    it('MUST reject an iat in the future', () => expectInvalidClient(assertion('pk', { kid: 'es1', claims: { iat: ctx.clock() + 300, exp: ctx.clock() + 400 } })));
    it('MUST reject a not-yet-valid assertion (nbf)', () => expectInvalidClient(assertion('pk', { kid: 'es1', claims: { nbf: ctx.clock() + 120 } })));
    it('MUST reject a missing jti', () => expectInvalidClient(assertion('pk', { kid: 'es1', omit: ['jti'] })));
  });

  describe('§3 item 7: single-use jti', () => {
    it('MUST reject a replayed assertion at the token endpoint without issuing anything', async () => {
      const jwt = await assertion('pk', { kid: 'es1' });
      const form = { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt };
      expect((await postToken(app, form)).status).toBe(200);
      const before = await storedState(ctx);
      const replay = await postToken(app, form);
      expect(replay.status).toBe(401);
      expect(replay.body.error).toBe('invalid_client');
      expect(await storedState(ctx)).toEqual(before);
    });
    it('keys the jti per client, so two clients may use the same value', async () => {
      const jti = randomUUID();
      await verify(await assertion('pk', { kid: 'es1', claims: { jti } }));
      expect((await verify(await assertion('hs', { alg: 'HS256', key: hmac(), claims: { jti } }))).clientId).toBe('hs');
      await expectInvalidClient(assertion('hs', { alg: 'HS256', key: hmac(), claims: { jti } }));
    });
  });
});

describe(`RFC 7523 §3 strict assertion audience (${backendName})`, () => {
  let ctx: TestContext;
  let key: CryptoKey;
  beforeAll(async () => {
    ctx = await createTestContext({ strictAssertionAudience: true });
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey;
    await createClient(ctx, { client_id: 'pk', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [await exportJWK(pair.publicKey)] } });
  });
  afterAll(() => ctx.close());

  const sign = (aud: unknown) => new SignJWT({ iss: 'pk', sub: 'pk', aud, exp: ctx.clock() + 60, jti: randomUUID() } as Record<string, unknown>).setProtectedHeader({ alg: 'ES256' }).sign(key);
  const outcome = async (aud: unknown) =>
    authenticateWithAssertion(ctx, { assertionType: JWT_BEARER, assertion: await sign(aud) }).then((c) => c.clientId, (e: OAuthError) => e.code);

  it('MUST accept aud equal to the issuer', async () => {
    expect(await outcome(ctx.config.issuer)).toBe('pk');
    expect(await outcome([ctx.config.issuer])).toBe('pk');
  });
  it('MUST reject the token endpoint URL as aud', async () => expect(await outcome(`${ctx.config.issuer}/token`)).toBe('invalid_client'));
  it('MUST reject an aud list with more than the issuer', async () => expect(await outcome([ctx.config.issuer, 'https://other.example'])).toBe('invalid_client'));
});
