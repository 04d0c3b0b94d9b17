import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { authorizeThroughPages, browser, pkcePair, REDIRECT_URI, registerUser } from '../support/browser-flow.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { keyedClient, requestObject, signingKey, unsignedObject, type SigningKey } from './jar-fixtures.js';

const SECRET = 'jar-suite-secret-0123456789abcdefghijklmn';
const basic = (id: string) => `Basic ${Buffer.from(`${id}:${SECRET}`).toString('base64')}`;

describe(`RFC 9101 request objects at /authorize and /par (${backendName})`, () => {
  let ctx: TestContext;
  let app: ReturnType<typeof createApp>;
  let key: SigningKey;
  let remoteKey: SigningKey;
  let user: { username: string; password: string };
  let hosted: Server;
  let hostedBase: string;
  let hits = 0;
  const documents = new Map<string, { status: number; body: string }>();

  const authorizationClaims = (clientId: string, overrides: Record<string, unknown> = {}) => ({
    response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'openid', state: 'inside-state',
    code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...overrides,
  });
  const signed = (clientId: string, overrides: Record<string, unknown> = {}) => requestObject(ctx, key, clientId, authorizationClaims(clientId, overrides));
  const authorize = (query: Record<string, string>) => request(app).get('/authorize').query(query);
  const errorOf = (location: string | undefined) => (location ? new URL(location).searchParams.get('error') : null);

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    key = await signingKey('ES256');
    hosted = createServer((req, res) => {
      hits += 1;
      const document = documents.get(req.url ?? '') ?? { status: 404, body: 'not found' };
      res.writeHead(document.status, { 'content-type': 'application/oauth-authz-req+jwt' }).end(document.body);
    });
    await new Promise<void>((resolve) => hosted.listen(0, '127.0.0.1', resolve));
    hostedBase = `http://127.0.0.1:${(hosted.address() as AddressInfo).port}`;
    await keyedClient(ctx, 'rp', [key], { request_uris: [`${hostedBase}/request.jwt`, `${hostedBase}/missing.jwt`, `${hostedBase}/huge.jwt`] });
    await keyedClient(ctx, 'signing-rp', [key], { require_signed_request_object: true });
    // Keys published at a jwks_uri, fetched through the guarded client like private_key_jwt keys.
    remoteKey = await signingKey('PS256');
    documents.set('/jwks.json', { status: 200, body: JSON.stringify({ keys: [remoteKey.publicJwk] }) });
    await keyedClient(ctx, 'remote-keys', [], { jwks: undefined, jwks_uri: `${hostedBase}/jwks.json`, request_object_signing_alg: 'PS256' });
    const registered = await registerUser(ctx);
    user = { username: registered.user.username, password: registered.password };
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => hosted.close(() => resolve()));
    await ctx.close();
  });

  describe('§5.1 request by value', () => {
    it('MUST use only the parameters of the request object', async () => {
      const jwt = await signed('rp');
      const landed = await authorizeThroughPages(browser(ctx), { client_id: 'rp', response_type: 'code', scope: 'openid email', state: 'outside-state', request: jwt }, user.username, user.password);
      expect(landed.origin + landed.pathname).toBe(REDIRECT_URI);
      expect(landed.searchParams.get('state')).toBe('inside-state');
      expect(landed.searchParams.get('code')).toBeTruthy();
    });

    it('refuses on a page a request whose redirect_uri beside the object was never registered (OIDC Core §6.1)', async () => {
      const page = await authorize({ client_id: 'rp', redirect_uri: 'https://attacker.example/cb', request: await signed('rp') });
      expect(page.status).toBe(400);
      expect(page.headers.location).toBeUndefined();
      expect(page.text).toContain('redirect_uri');
    });

    it('MUST refuse a bad object with invalid_request_object, redirected only to a registered redirect_uri', async () => {
      const bad = await signed('rp', { aud: 'https://elsewhere.example' });
      const redirected = await authorize({ client_id: 'rp', redirect_uri: REDIRECT_URI, state: 's', request: bad });
      expect(redirected.status).toBe(303);
      expect(errorOf(redirected.headers.location)).toBe('invalid_request_object');
      const page = await authorize({ client_id: 'rp', request: bad });
      expect(page.status).toBe(400);
      expect(page.headers.location).toBeUndefined();
      expect(page.text).toContain('invalid_request_object');
    });

    it('MUST verify an object with the keys at the client jwks_uri', async () => {
      const jwt = await requestObject(ctx, remoteKey, 'remote-keys', authorizationClaims('remote-keys'));
      expect((await authorize({ client_id: 'remote-keys', request: jwt })).status).toBe(303);
      const wrongKey = await requestObject(ctx, { ...(await signingKey('PS256')), kid: remoteKey.kid }, 'remote-keys', authorizationClaims('remote-keys'));
      const refused = await authorize({ client_id: 'remote-keys', redirect_uri: REDIRECT_URI, request: wrongKey });
      expect(errorOf(refused.headers.location)).toBe('invalid_request_object');
    });

    it('MUST refuse request and request_uri together', async () => {
      const response = await authorize({ client_id: 'rp', redirect_uri: REDIRECT_URI, request: await signed('rp'), request_uri: `${hostedBase}/request.jwt` });
      expect(errorOf(response.headers.location)).toBe('invalid_request');
    });

    it('MUST refuse a plain request from a client that must sign, and its unsigned object', async () => {
      const plain = await authorize(authorizationClaims('signing-rp') as Record<string, string>);
      expect(errorOf(plain.headers.location)).toBe('invalid_request');
      const unsigned = await authorize({ client_id: 'signing-rp', redirect_uri: REDIRECT_URI, request: unsignedObject(authorizationClaims('signing-rp')) });
      expect(errorOf(unsigned.headers.location)).toBe('invalid_request_object');
      expect((await authorize({ client_id: 'signing-rp', request: await signed('signing-rp') })).status).toBe(303);
    });
  });

  describe('RFC 9126 §3 request objects pushed', () => {
    it('MUST verify a pushed request object and use its parameters at /authorize', async () => {
      const pushed = await request(app).post('/par').type('form').set('authorization', basic('signing-rp')).send({ client_id: 'signing-rp', request: await signed('signing-rp') });
      expect(pushed.status, pushed.text).toBe(201);
      const landed = await authorizeThroughPages(browser(ctx), { client_id: 'signing-rp', request_uri: pushed.body.request_uri }, user.username, user.password);
      expect(landed.searchParams.get('state')).toBe('inside-state');
    });

    it('MUST refuse a bad pushed object, and a plain push from a client that must sign', async () => {
      const bad = await request(app).post('/par').type('form').set('authorization', basic('signing-rp')).send({ request: await signed('signing-rp', { exp: ctx.clock() - 600 }) });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('invalid_request_object');
      const plain = await request(app).post('/par').type('form').set('authorization', basic('signing-rp')).send(authorizationClaims('signing-rp'));
      expect(plain.status).toBe(400);
      expect(plain.body.error).toBe('invalid_request');
    });
  });

  describe('§5.2 request by reference (OIDC Core §6.2)', () => {
    it('MUST fetch a registered request_uri and use the object found there', async () => {
      documents.set('/request.jwt', { status: 200, body: await signed('rp', { state: 'by-reference' }) });
      const landed = await authorizeThroughPages(browser(ctx), { client_id: 'rp', request_uri: `${hostedBase}/request.jwt` }, user.username, user.password);
      expect(landed.searchParams.get('state')).toBe('by-reference');
    });

    it('MUST refuse an unregistered request_uri without fetching it', async () => {
      const before = hits;
      const response = await authorize({ client_id: 'rp', redirect_uri: REDIRECT_URI, request_uri: `${hostedBase}/other.jwt` });
      expect(errorOf(response.headers.location)).toBe('invalid_request_uri');
      // A client that registered no request_uris is told references are not supported for it.
      const unregistered = await authorize({ client_id: 'signing-rp', redirect_uri: REDIRECT_URI, request_uri: `${hostedBase}/request.jwt` });
      expect(errorOf(unregistered.headers.location)).toBe('request_uri_not_supported');
      expect(hits).toBe(before);
    });

    it('MUST answer invalid_request_uri when the object cannot be fetched or is too large', async () => {
      documents.set('/huge.jwt', { status: 200, body: 'a'.repeat(70_000) });
      for (const path of ['/missing.jwt', '/huge.jwt']) {
        const response = await authorize({ client_id: 'rp', redirect_uri: REDIRECT_URI, request_uri: `${hostedBase}${path}` });
        expect(errorOf(response.headers.location)).toBe('invalid_request_uri');
      }
    });
  });

  it('MUST publish request object support in discovery', async () => {
    const metadata = (await request(app).get('/.well-known/openid-configuration')).body;
    expect(metadata).toMatchObject({ request_parameter_supported: true, request_uri_parameter_supported: true, require_request_uri_registration: true });
    expect(metadata.request_object_signing_alg_values_supported).toEqual(['none', 'RS256', 'PS256', 'ES256', 'EdDSA']);
  });
});
