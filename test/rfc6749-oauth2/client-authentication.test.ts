import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createClient } from '../../src/clients/client-service.js';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { authenticateClient, parseBasicCredentials } from '../../src/rfc6749-oauth2/client-authentication.js';
import { createApp } from '../../src/server/app.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic, postToken, REDIRECT, SECRET, storedState } from '../support/token-fixtures.js';

const ODD_ID = 'svc:1+2%';
const ODD_SECRET = 'se cret+with%25:colons/and=equals-0123456789abcdef';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe(`RFC 6749 §2.3 client authentication (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  const cc = { grant_type: 'client_credentials' };

  const failure = (work: Promise<unknown>) => work.then(() => undefined, (error: unknown) => error as OAuthError);

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    await createClient(ctx, { client_id: 'basic', client_secret: SECRET, grant_types: ['client_credentials'] });
    await createClient(ctx, { client_id: ODD_ID, client_secret: ODD_SECRET, grant_types: ['client_credentials'] });
    await createClient(ctx, { client_id: 'post', client_secret: SECRET, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' });
    await createClient(ctx, { client_id: 'public', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT] });
    await createClient(ctx, { client_id: 'hs', client_secret: SECRET, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_jwt' });
  });
  afterAll(() => ctx.close());

  describe('§2.3.1 client_secret_basic', () => {
    it('MUST form-urlencode id and secret inside Basic, and the server decodes them', async () => {
      const response = await postToken(app, cc, { authorization: basic(ODD_ID, ODD_SECRET) });
      expect(response.status).toBe(200);
    });
    it('decodes the Basic credentials per §2.3.1 (+ is a space, %XX an octet)', () => {
      expect(parseBasicCredentials(basic(ODD_ID, ODD_SECRET))).toEqual({ clientId: ODD_ID, secret: ODD_SECRET });
      expect(parseBasicCredentials(`Basic ${Buffer.from('a+b:c%2Bd').toString('base64')}`)).toEqual({ clientId: 'a b', secret: 'c+d' });
    });
    it('MUST answer a wrong secret with 401 invalid_client and a Basic challenge', async () => {
      const before = await storedState(ctx);
      const response = await postToken(app, cc, { authorization: basic('basic', SECRET + 'x') });
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_client');
      expect(response.headers['www-authenticate']).toBe('Basic realm="castellan"');
      expect(await storedState(ctx)).toEqual(before);
    });
    it('MUST answer an unknown client with the same 401 and challenge', async () => {
      const response = await postToken(app, cc, { authorization: basic('nobody', SECRET) });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Basic realm="castellan"');
      expect(response.body.error_description).toBe('client authentication failed');
    });
    it('MUST reject malformed Basic credentials with invalid_client', async () => {
      for (const header of ['Basic !!!', 'Basic', `Basic ${Buffer.from('no-colon').toString('base64')}`, `Basic ${Buffer.from(':secret').toString('base64')}`, `Basic ${Buffer.from('%zz:secret').toString('base64')}`]) {
        const response = await postToken(app, cc, { authorization: header });
        expect(response.status).toBe(401);
        expect(response.body.error).toBe('invalid_client');
        expect(response.headers['www-authenticate']).toMatch(/^Basic/);
      }
    });
    it('MUST reject a body client_id that disagrees with the Basic credentials', async () => {
      const response = await postToken(app, { ...cc, client_id: 'post' }, { authorization: basic('basic', SECRET) });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
    });
  });

  describe('client_secret_post and none', () => {
    it('MUST accept the secret in the body for a client registered for client_secret_post', async () => {
      expect((await postToken(app, { ...cc, client_id: 'post', client_secret: SECRET })).status).toBe(200);
    });
    it('MUST answer a wrong body secret with 401 invalid_client and no Basic challenge', async () => {
      const response = await postToken(app, { ...cc, client_id: 'post', client_secret: 'nope' });
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_client');
      expect(response.headers['www-authenticate']).toBeUndefined();
    });
    it('authenticates a public client by client_id alone', async () => {
      const result = await authenticateClient(ctx, { params: { client_id: 'public' } });
      expect(result).toMatchObject({ method: 'none', client: { clientId: 'public' } });
    });
    it('MUST reject a request with no client identification', async () => {
      const response = await postToken(app, cc);
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_client');
    });
  });

  describe('registered method only (RFC 7591 token_endpoint_auth_method)', () => {
    const cases: [string, Parameters<typeof authenticateClient>[1]][] = [
      ['a Basic client sending its secret in the body', { params: { client_id: 'basic', client_secret: SECRET } }],
      ['a post client using Basic', { authorization: basic('post', SECRET), params: {} }],
      ['a confidential client sending only client_id', { params: { client_id: 'basic' } }],
      ['a public client sending a secret', { params: { client_id: 'public', client_secret: SECRET } }],
      ['a client_secret_jwt client using Basic with its secret', { authorization: basic('hs', SECRET), params: {} }],
    ];
    for (const [name, presented] of cases) {
      it(`MUST reject ${name} with invalid_client`, async () => {
        const error = await failure(authenticateClient(ctx, presented));
        expect(error?.code).toBe('invalid_client');
        expect(error?.status).toBe(401);
      });
    }
  });

  describe('exactly one method per request', () => {
    it('MUST reject Basic plus client_secret in the body with invalid_request', async () => {
      const response = await postToken(app, { ...cc, client_id: 'basic', client_secret: SECRET }, { authorization: basic('basic', SECRET) });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
    });
    it('MUST reject Basic plus a client assertion', async () => {
      const error = await failure(authenticateClient(ctx, { authorization: basic('basic', SECRET), params: { client_assertion_type: ASSERTION_TYPE, client_assertion: 'a.b.c' } }));
      expect(error?.code).toBe('invalid_request');
    });
    it('MUST reject a body secret plus a client assertion', async () => {
      const error = await failure(authenticateClient(ctx, { params: { client_id: 'post', client_secret: SECRET, client_assertion_type: ASSERTION_TYPE, client_assertion: 'a.b.c' } }));
      expect(error?.code).toBe('invalid_request');
    });
    it('MUST reject client_assertion_type without client_assertion', async () => {
      const error = await failure(authenticateClient(ctx, { params: { client_assertion_type: ASSERTION_TYPE } }));
      expect(error?.code).toBe('invalid_request');
    });
  });

  describe('parameter syntax', () => {
    it('MUST reject a repeated client_id with invalid_request', async () => {
      const response = await postToken(app, { ...cc, client_id: ['post', 'post'], client_secret: SECRET });
      expect(response.body.error).toBe('invalid_request');
    });
    it('MUST reject an oversized client_secret with invalid_request', async () => {
      const response = await postToken(app, { ...cc, client_id: 'post', client_secret: 's'.repeat(513) });
      expect(response.body.error).toBe('invalid_request');
    });
  });
});
