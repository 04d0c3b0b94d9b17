import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, browser, pathOf, REDIRECT_URI, submitLogin } from '../support/browser-flow.js';
import { backendName } from '../support/test-context.js';
import { authorizeWithRequestUri, basic, push, pushedParams, pushedRequestUri, redeem, parRig, type ParRig } from './par-fixtures.js';

describe(`RFC 9126 pushed authorization request endpoint (${backendName})`, () => {
  let rig: ParRig;
  beforeAll(async () => {
    rig = await parRig();
  });
  afterAll(() => rig.ctx.close());

  describe('§2 client authentication', () => {
    it('MUST authenticate a confidential client as at the token endpoint', async () => {
      const { params } = pushedParams('web');
      expect((await push(rig, params)).status).toBe(401);
      const wrong = await push(rig, params, { authorization: basic('web', 'not-the-secret-at-all-0123456789') });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_client');
      expect((await push(rig, { ...params, client_secret: 'x' }, { authorization: basic('web') })).body.error).toBe('invalid_request');
      expect((await push(rig, params, { authorization: basic('web') })).status).toBe(201);
    });

    it('MUST refuse a client_id other than the authenticated client', async () => {
      const response = await push(rig, pushedParams('other').params, { authorization: basic('web') });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
    });

    it('MUST accept a public client identified by client_id', async () => {
      expect((await push(rig, pushedParams('spa').params)).status).toBe(201);
    });

    it('MUST accept only POST', async () => {
      const response = await request(rig.app).get('/par');
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('POST');
    });
  });

  describe('§2.1 the pushed request is validated in full', () => {
    const refused = async (overrides: Record<string, string>, error: string) => {
      const response = await push(rig, pushedParams('web', overrides).params, { authorization: basic('web') });
      expect(response.status, response.text).toBe(400);
      expect(response.body.error).toBe(error);
      expect(response.headers['content-type']).toMatch(/json/);
    };

    it('MUST refuse an unregistered redirect_uri with invalid_request', () => refused({ redirect_uri: 'https://attacker.example/cb' }, 'invalid_request'));
    it('MUST refuse a response_type other than code', () => refused({ response_type: 'token' }, 'unsupported_response_type'));
    it('MUST refuse a request without PKCE', () => refused({ code_challenge: '', code_challenge_method: '' }, 'invalid_request'));
    it('MUST refuse the plain PKCE method', () => refused({ code_challenge_method: 'plain' }, 'invalid_request'));
    it('MUST refuse request_uri inside a pushed request', () => refused({ request_uri: 'urn:ietf:params:oauth:request_uri:abc' }, 'invalid_request'));
  });

  describe('§2.2 successful response', () => {
    it('MUST answer 201 with a request_uri URN of 256 random bits and expires_in, not cached', async () => {
      const response = await push(rig, pushedParams('web').params, { authorization: basic('web') });
      expect(response.status).toBe(201);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body.expires_in).toBe(60);
      expect(response.body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
      const again = await push(rig, pushedParams('web').params, { authorization: basic('web') });
      expect(again.body.request_uri).not.toBe(response.body.request_uri);
    });

    it('stores only the SHA-256 of the request_uri handle', async () => {
      const requestUri = await pushedRequestUri(rig, 'web', pushedParams('web').params);
      const rows = await rig.ctx.knex('pushed_authorization_requests').select('handle_hash');
      expect(rows.length).toBeGreaterThan(0);
      expect(JSON.stringify(rows)).not.toContain(requestUri.split(':').pop());
    });
  });

  describe('§4 authorization request with the request_uri', () => {
    it('MUST process the pushed parameters only, and issue a code the client redeems', async () => {
      const { params, verifier } = pushedParams('web', { state: 'the-pushed-state' });
      const requestUri = await pushedRequestUri(rig, 'web', params);
      // Parameters sent beside client_id and request_uri are ignored (RFC 9126 §4).
      const landed = await authorizeWithRequestUri(rig, 'web', requestUri, { state: 'outside-state', redirect_uri: 'https://attacker.example/cb', scope: 'openid email' });
      expect(landed.origin + landed.pathname).toBe(REDIRECT_URI);
      expect(landed.searchParams.get('state')).toBe('the-pushed-state');
      const token = await redeem(rig, 'web', landed.searchParams.get('code')!, verifier);
      expect(token.status, token.text).toBe(200);
      expect(token.body.scope).toBe('openid');
    });

    it('MUST refuse a request_uri used before', async () => {
      const requestUri = await pushedRequestUri(rig, 'web', pushedParams('web').params);
      await authorizeWithRequestUri(rig, 'web', requestUri);
      const again = await request(rig.app).get('/authorize').query({ client_id: 'web', request_uri: requestUri });
      expect(again.status).toBe(400);
      expect(again.headers.location).toBeUndefined();
      expect(again.text).toContain('invalid_request_uri');
    });

    it('accepts a request_uri again until a code is issued for it; only the first sign-in to finish gets one (FAPI 2.0 SP §5.3.2.2)', async () => {
      const { params, verifier } = pushedParams('web');
      const requestUri = await pushedRequestUri(rig, 'web', params);
      // A second tab opened on the same request_uri reaches the login page as well.
      const late = browser(rig.ctx);
      const lateStart = await late.get(authorizeUrl({ client_id: 'web', request_uri: requestUri })).expect(303);
      expect(pathOf(lateStart.headers.location as string)).toMatch(/\/login$/);
      const landed = await authorizeWithRequestUri(rig, 'web', requestUri);
      expect((await redeem(rig, 'web', landed.searchParams.get('code')!, verifier)).status).toBe(200);
      // That tab signs in afterwards: the request_uri is used up, so no second code.
      const lateLogin = await submitLogin(late, pathOf(lateStart.headers.location as string), rig.username, rig.password);
      expect(lateLogin.status).toBe(400);
      expect(lateLogin.headers.location).toBeUndefined();
      expect(lateLogin.text).toContain('invalid_request_uri');
      const codes = await rig.ctx.knex('authorization_codes').where({ client_id: 'web', redirect_uri: REDIRECT_URI, code_challenge: params.code_challenge });
      expect(codes).toHaveLength(1);
    });

    it('MUST refuse an expired request_uri', async () => {
      const requestUri = await pushedRequestUri(rig, 'web', pushedParams('web').params);
      rig.ctx.clock.advance(61);
      const late = await request(rig.app).get('/authorize').query({ client_id: 'web', request_uri: requestUri });
      expect(late.status).toBe(400);
      expect(late.text).toContain('invalid_request_uri');
    });

    it('MUST refuse a request_uri pushed by another client', async () => {
      const requestUri = await pushedRequestUri(rig, 'other', pushedParams('other').params);
      const stolen = await request(rig.app).get('/authorize').query({ client_id: 'web', request_uri: requestUri });
      expect(stolen.status).toBe(400);
      expect(stolen.text).toContain('invalid_request_uri');
      // The refusal did not use it up for its owner.
      const owner = await request(rig.app).get('/authorize').query({ client_id: 'other', request_uri: requestUri });
      expect(owner.status).toBe(303);
    });

    it('MUST refuse a request_uri without the client_id it belongs to', async () => {
      const requestUri = await pushedRequestUri(rig, 'web', pushedParams('web').params);
      const response = await request(rig.app).get('/authorize').query({ request_uri: requestUri });
      expect(response.status).toBe(400);
      expect(response.headers.location).toBeUndefined();
    });
  });

  describe('§5 and §6 require_pushed_authorization_requests', () => {
    it('MUST refuse a plain authorization request from a client registered to push, redirecting invalid_request', async () => {
      const { params } = pushedParams('par-only');
      const plain = await request(rig.app).get('/authorize').query(params);
      expect(plain.status).toBe(303);
      const location = new URL(plain.headers.location as string);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBe('pushed-state');
      const requestUri = await pushedRequestUri(rig, 'par-only', params);
      expect((await request(rig.app).get('/authorize').query({ client_id: 'par-only', request_uri: requestUri })).status).toBe(303);
    });

    it('MUST publish the endpoint and the server-wide requirement in discovery', async () => {
      const metadata = (await request(rig.app).get('/.well-known/openid-configuration')).body;
      expect(metadata.pushed_authorization_request_endpoint).toBe(`${rig.ctx.config.issuer}/par`);
      expect(metadata.require_pushed_authorization_requests).toBe(false);
      const asMetadata = (await request(rig.app).get('/.well-known/oauth-authorization-server')).body;
      expect(asMetadata.pushed_authorization_request_endpoint).toBe(`${rig.ctx.config.issuer}/par`);
    });
  });
});

describe(`RFC 9126 server-wide settings (${backendName})`, () => {
  it('MUST refuse plain requests of every client under REQUIRE_PAR and say so in discovery', async () => {
    const rig = await parRig({ requirePar: true });
    try {
      const plain = await request(rig.app).get('/authorize').query(pushedParams('web').params);
      expect(new URL(plain.headers.location as string).searchParams.get('error')).toBe('invalid_request');
      expect((await request(rig.app).get('/.well-known/openid-configuration')).body.require_pushed_authorization_requests).toBe(true);
      const requestUri = await pushedRequestUri(rig, 'web', pushedParams('web').params);
      expect((await request(rig.app).get('/authorize').query({ client_id: 'web', request_uri: requestUri })).status).toBe(303);
    } finally {
      await rig.ctx.close();
    }
  });

  it('follows PAR_TTL', async () => {
    const rig = await parRig({ parTtl: 10 });
    try {
      const response = await push(rig, pushedParams('web').params, { authorization: basic('web') });
      expect(response.body.expires_in).toBe(10);
      rig.ctx.clock.advance(10);
      expect((await request(rig.app).get('/authorize').query({ client_id: 'web', request_uri: response.body.request_uri })).status).toBe(400);
    } finally {
      await rig.ctx.close();
    }
  });

  it('MUST limit pushed requests with the authorization endpoint policy', async () => {
    const rig = await parRig({ rateLimitAuthorization: { points: 2, duration: 60 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await push(rig, pushedParams('web').params, { authorization: basic('web') })).status);
      expect(statuses).toEqual([201, 201, 429]);
    } finally {
      await rig.ctx.close();
    }
  });
});
