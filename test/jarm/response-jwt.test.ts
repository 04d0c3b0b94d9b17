/**
 * JARM responses through /authorize: the code or the error signed into one `response` parameter,
 * in the query (jwt, query.jwt) or a form (form_post.jwt), with iss, aud and a short exp.
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-2.1
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-2.2
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-2.3
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-3
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESPONSE_JWT_LIFETIME } from '../../src/jarm/response-jwt.js';
import { createApp } from '../../src/server/app.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { authorizeThroughPages, authorizeUrl, browser, defaultParams, REDIRECT_URI, registerClient, registerUser } from '../support/browser-flow.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`JARM authorization responses (${backendName})`, () => {
  let ctx: TestContext;
  let app: ReturnType<typeof createApp>;
  let client: ClientRecord;
  let alice: { username: string; password: string };

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    client = await registerClient(ctx);
    const { user, password } = await registerUser(ctx);
    alice = { username: user.username, password };
  });
  afterAll(() => ctx.close());

  const verify = async (jwt: string, audience: string) =>
    (await jwtVerify(jwt, createLocalJWKSet(await ctx.keystore.jwks()), { issuer: ctx.config.issuer, audience, currentDate: new Date(ctx.clock() * 1000) })).payload;

  /** The redirect carries `response` and nothing else of the authorization response. */
  function responseOf(url: URL): string {
    expect(url.origin + url.pathname).toBe(REDIRECT_URI);
    expect([...url.searchParams.keys()]).toEqual(['response']);
    return url.searchParams.get('response')!;
  }

  describe('§2.1 the response document', () => {
    it.each(['jwt', 'query.jwt'])('MUST deliver code, state and iss in a JWT with aud and exp in the query for response_mode=%s', async (mode) => {
      const url = await authorizeThroughPages(browser(ctx), defaultParams(client, { response_mode: mode }), alice.username, alice.password);
      const jwt = responseOf(url);
      const claims = await verify(jwt, client.clientId);
      expect(claims).toMatchObject({ iss: ctx.config.issuer, aud: client.clientId, state: 'af0ifjsldkj' });
      expect(claims.exp).toBe(ctx.clock() + RESPONSE_JWT_LIFETIME);
      expect(RESPONSE_JWT_LIFETIME).toBeLessThanOrEqual(600);
      // The code is a real one, stored hashed.
      expect(await ctx.stores.codes.findWithGrant(hashHandle(claims.code as string))).toBeDefined();
    });

    it('MUST sign with RS256 when the client registered no authorization_signed_response_alg (§3)', async () => {
      const url = await authorizeThroughPages(browser(ctx), defaultParams(client, { response_mode: 'jwt' }), alice.username, alice.password);
      const header = decodeProtectedHeader(responseOf(url));
      expect(header.alg).toBe('RS256');
      const active = (await ctx.stores.keys.listAll()).find((k) => k.alg === 'RS256' && k.state === 'active');
      expect(header.kid).toBe(active?.kid);
    });

    it.each(['PS256', 'ES256', 'EdDSA'])('MUST sign with the registered authorization_signed_response_alg %s', async (alg) => {
      const own = await registerClient(ctx, { authorization_signed_response_alg: alg });
      const url = await authorizeThroughPages(browser(ctx), defaultParams(own, { response_mode: 'query.jwt' }), alice.username, alice.password);
      const jwt = responseOf(url);
      expect(decodeProtectedHeader(jwt).alg).toBe(alg);
      expect(await verify(jwt, own.clientId)).toMatchObject({ aud: own.clientId });
    });

    it('MUST leave state out of the JWT when the client sent none', async () => {
      const url = await authorizeThroughPages(browser(ctx), defaultParams(client, { response_mode: 'jwt', state: undefined }), alice.username, alice.password);
      expect(await verify(responseOf(url), client.clientId)).not.toHaveProperty('state');
    });
  });

  describe('§2.3.3 form_post.jwt', () => {
    it('MUST POST the JWT as the single parameter response', async () => {
      const agent = browser(ctx);
      await authorizeThroughPages(agent, defaultParams(client), alice.username, alice.password);
      const res = await agent.get(authorizeUrl(defaultParams(client, { response_mode: 'form_post.jwt' }))).expect(200);
      expect(res.headers['cache-control']).toContain('no-store');
      expect(res.text).toMatch(/<form method="post" action="https:\/\/client\.example\/cb" id="form-post">/);
      const inputs = [...res.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]+)">/g)];
      expect(inputs.map((m) => m[1])).toEqual(['response']);
      expect(await verify(inputs[0][2], client.clientId)).toMatchObject({ iss: ctx.config.issuer, state: 'af0ifjsldkj' });
    });
  });

  describe('§2.2 errors', () => {
    it('MUST sign an error (login_required for prompt=none) with error, error_description and state', async () => {
      const res = await request(app).get(authorizeUrl(defaultParams(client, { response_mode: 'jwt', prompt: 'none' }))).expect(303);
      const claims = await verify(responseOf(new URL(res.headers.location)), client.clientId);
      expect(claims).toMatchObject({ iss: ctx.config.issuer, aud: client.clientId, error: 'login_required', state: 'af0ifjsldkj' });
      expect(typeof claims.error_description).toBe('string');
      expect(claims).not.toHaveProperty('code');
    });

    it('MUST sign a validation error of the request itself (plain PKCE) in the mode it asked for', async () => {
      const res = await request(app).get(authorizeUrl(defaultParams(client, { response_mode: 'form_post.jwt', code_challenge_method: 'plain' })));
      expect(res.status).toBe(200);
      const jwt = /name="response" value="([^"]+)"/.exec(res.text)![1];
      expect(await verify(jwt, client.clientId)).toMatchObject({ error: 'invalid_request' });
    });

    it('MUST refuse fragment.jwt with invalid_request, delivered in the query', async () => {
      const res = await request(app).get(authorizeUrl(defaultParams(client, { response_mode: 'fragment.jwt' }))).expect(303);
      const url = new URL(res.headers.location);
      expect(url.searchParams.get('error')).toBe('invalid_request');
      expect(url.searchParams.get('error_description')).toContain('fragment.jwt');
    });

    it('MUST NOT redirect, signed or not, to an unregistered redirect_uri', async () => {
      const res = await request(app).get(authorizeUrl(defaultParams(client, { response_mode: 'jwt', redirect_uri: 'https://attacker.example/cb' })));
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
    });
  });
});
