/**
 * error_uri on every way an error leaves the server: the JSON body, the error redirect (query and
 * form_post), the Bearer and DPoP challenges, and the HTML error page's link; plus the HTML page for
 * an unregistered redirect_uri, which shows the value received and the rule, never the registration.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (error_uri)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (error_uri in the redirect)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3 (error_uri in the challenge)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2.4 (invalid redirection URI: no redirect)
 */
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { errorUri, OAuthError } from '../../src/errors/oauth-error.js';
import { pkcePair } from '../support/code-issuer.js';
import { backendName, createTestContextWithApp, type TestContext } from '../support/test-context.js';

const ISSUER = 'http://localhost:3000';
const REDIRECT = 'https://rp.example.com/cb';
const ERROR_URI_SYNTAX = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

describe(`RFC 6749 §5.2 error_uri in error responses (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  const { challenge } = pkcePair();
  const good = { client_id: 'web', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256' };

  beforeAll(async () => {
    ({ ctx, app } = await createTestContextWithApp());
    await createClient(ctx, { client_id: 'web', client_secret: 'error-uri-test-secret-0123456789abcdef', redirect_uris: [REDIRECT, 'https://rp.example.com/other'] });
  });
  afterAll(() => ctx.close());

  it('MUST keep error_uri within %x21 / %x23-5B / %x5D-7E, under the issuer', () => {
    expect(new OAuthError('invalid_grant', 'x', { requirement: 'RFC7636-4.6-1' }).errorUri(ISSUER)).toBe(`${ISSUER}/errors/invalid_grant/RFC7636-4.6-1`);
    expect(new OAuthError('invalid_grant', 'x').errorUri(ISSUER)).toBe(`${ISSUER}/errors/invalid_grant`);
    expect(errorUri('https://id.example/tenant a', 'invalid_request', 'X "\\ Y')).toMatch(/\/errors\/invalid_request\/X%20%22%5C%20Y$/);
    expect(errorUri(ISSUER, 'invalid_request', 'RFC6749-5.2-8')).toMatch(ERROR_URI_SYNTAX);
    // Without an issuer (JSON.stringify's own call) the body carries no error_uri.
    expect(JSON.parse(JSON.stringify(new OAuthError('invalid_request', 'x', { requirement: 'RFC6749-5.2-8' })))).toEqual({ error: 'invalid_request', error_description: 'x' });
  });

  it('MUST carry error_uri in a JSON error body, naming the requirement page', async () => {
    const response = await request(app).post('/token').type('form').send({ grant_type: 'password' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'unsupported_grant_type', error_description: expect.any(String), error_uri: `${ISSUER}/errors/unsupported_grant_type/RFC6749-5.2-4` });
    expect(response.body.error_uri).toMatch(ERROR_URI_SYNTAX);
  });

  it('MUST carry error_uri in an error redirect to the client (RFC 6749 §4.1.2.1)', async () => {
    const response = await request(app).get('/authorize').query({ ...good, response_type: 'token' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.location);
    expect(location.searchParams.get('error')).toBe('unsupported_response_type');
    expect(location.searchParams.get('error_uri')).toBe(`${ISSUER}/errors/unsupported_response_type/RFC6749-4.1.1-1`);
    expect(location.searchParams.get('state')).toBe('st-1');
  });

  it('MUST carry error_uri in a form_post error response', async () => {
    const response = await request(app).get('/authorize').query({ ...good, response_type: 'token', response_mode: 'form_post' });
    expect(response.status).toBe(200);
    expect(response.text).toContain(`name="error_uri" value="${ISSUER}/errors/unsupported_response_type/RFC6749-4.1.1-1"`);
  });

  it('MUST carry error_uri in a Bearer WWW-Authenticate challenge (RFC 6750 §3)', async () => {
    const response = await request(app).get('/userinfo').set('Authorization', 'Bearer not-a-token-we-issued');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(`Bearer realm="castellan", error="invalid_token", error_description="The access token is invalid, expired or revoked", error_uri="${ISSUER}/errors/invalid_token/RFC6750-3.1-1"`);
    expect(response.body.error_uri).toBe(`${ISSUER}/errors/invalid_token/RFC6750-3.1-1`);
  });

  it('MUST link the HTML error page to the explanation of its error', async () => {
    const response = await request(app).get('/authorize').query({ ...good, client_id: 'nobody' });
    expect(response.status).toBe(400);
    expect(response.text).toContain(`<a id="error-uri" href="${ISSUER}/errors/invalid_client/RFC6749-4.1.1-2">`);
    expect(response.text).toContain('id="error-rule"');
  });

  describe('RFC 6749 §3.1.2.4 the page for an unregistered redirect_uri', () => {
    const received = 'https://rp.example.com/cb/?next=<b>"x"</b>';

    it('MUST show the redirect_uri received, escaped, and say that matching is exact', async () => {
      const response = await request(app).get('/authorize').query({ ...good, redirect_uri: received });
      expect(response.status).toBe(400);
      expect(response.headers.location).toBeUndefined();
      expect(response.text).toContain('<dd><code>https://rp.example.com/cb/?next=&lt;b&gt;&quot;x&quot;&lt;/b&gt;</code></dd>');
      expect(response.text).not.toContain('<b>"x"</b>');
      expect(response.text).toMatch(/compared as exact strings/);
      expect(response.text).toContain(`${ISSUER}/errors/invalid_request/RFC9700-2.1-1`);
    });

    it('MUST NOT list the registered redirect URIs', async () => {
      const response = await request(app).get('/authorize').query({ ...good, redirect_uri: 'https://attacker.example/cb' });
      expect(response.status).toBe(400);
      expect(response.text).not.toContain(REDIRECT);
      expect(response.text).not.toContain('https://rp.example.com/other');
    });
  });
});
