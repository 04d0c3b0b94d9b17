import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createClient } from '../../src/clients/client-service.js';
import { createApp } from '../../src/server/app.js';
import { registerGrant } from '../../src/server/grant-registry.js';
import type { GrantRecord } from '../../src/storage/stores.js';
import { newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic, postToken, REDIRECT, SECRET, storedState } from '../support/token-fixtures.js';

describe(`RFC 6749 §3.2 token endpoint (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  const svc = { authorization: basic('svc', SECRET) };

  async function expectError(send: () => PromiseLike<request.Response>, status: number, error: string) {
    const before = await storedState(ctx);
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body.error).toBe(error);
    expect(typeof response.body.error_description).toBe('string');
    expect(await storedState(ctx)).toEqual(before);
    return response;
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    await createClient(ctx, { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'] });
    await createClient(ctx, { client_id: 'web', client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] });
  });
  afterAll(() => ctx.close());

  describe('transport', () => {
    it('MUST answer GET with 405 and a JSON invalid_request (§3.2: POST only)', async () => {
      const response = await expectError(() => request(app).get('/token?grant_type=client_credentials'), 405, 'invalid_request');
      expect(response.headers.allow).toBe('POST');
    });
    it('MUST answer other methods with 405 too', () => expectError(() => request(app).put('/token').type('form').send('grant_type=client_credentials'), 405, 'invalid_request'));
    it('MUST require an application/x-www-form-urlencoded body', () =>
      expectError(() => request(app).post('/token').set(svc).type('json').send({ grant_type: 'client_credentials' }), 400, 'invalid_request'));
    it('MUST refuse a body over 64 KiB with 413', () => expectError(() => postToken(app, { grant_type: 'client_credentials', pad: 'x'.repeat(70_000) }, svc), 413, 'invalid_request'));
    it('MUST answer success with §5.1 JSON and Cache-Control: no-store, Pragma: no-cache', async () => {
      const response = await postToken(app, { grant_type: 'client_credentials' }, svc);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers.pragma).toBe('no-cache');
      expect(Object.keys(response.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    });
    it('MUST ignore unrecognized parameters (§3.2)', async () => {
      expect((await postToken(app, { grant_type: 'client_credentials', extra: 'foobar', claims: '{}' }, svc)).status).toBe(200);
    });
  });

  describe('grant_type', () => {
    it('MUST reject a missing grant_type with invalid_request', () => expectError(() => postToken(app, {}, svc), 400, 'invalid_request'));
    it('MUST reject a repeated grant_type with invalid_request', () =>
      expectError(() => postToken(app, { grant_type: ['client_credentials', 'client_credentials'] }, svc), 400, 'invalid_request'));
    it('MUST reject an oversized grant_type with invalid_request', () => expectError(() => postToken(app, { grant_type: 'g'.repeat(200) }, svc), 400, 'invalid_request'));
    it('MUST answer an unknown grant_type with unsupported_grant_type', () => expectError(() => postToken(app, { grant_type: 'urn:example:magic' }, svc), 400, 'unsupported_grant_type'));
    it('MUST NOT support the resource owner password grant (RFC 9700 §2.4)', () =>
      expectError(() => postToken(app, { grant_type: 'password', username: 'u', password: 'p' }, svc), 400, 'unsupported_grant_type'));
    it('MUST NOT accept implicit as a grant_type', () => expectError(() => postToken(app, { grant_type: 'implicit' }, svc), 400, 'unsupported_grant_type'));
    it('MUST refuse to register the password or implicit grant as an extension', () => {
      for (const grantType of ['password', 'implicit']) {
        expect(() => registerGrant({ grantType, schema: { type: 'object', properties: {} }, handle: () => Promise.reject(new Error('unreachable')) })).toThrow(/must not be supported/);
      }
    });
  });

  describe('phase order', () => {
    it('checks the grant type before client credentials', () =>
      expectError(() => postToken(app, { grant_type: 'password' }, { authorization: basic('svc', 'wrong') }), 400, 'unsupported_grant_type'));
    it('checks the grant\'s parameters before client credentials', () =>
      expectError(() => postToken(app, { grant_type: 'authorization_code', redirect_uri: REDIRECT }, { authorization: basic('web', 'wrong') }), 400, 'invalid_request'));
    it('authenticates the client before checking it may use the grant', () =>
      expectError(() => postToken(app, { grant_type: 'client_credentials' }, { authorization: basic('web', 'wrong') }), 401, 'invalid_client'));
    it('checks the grant is allowed for the client before running it', () =>
      expectError(() => postToken(app, { grant_type: 'refresh_token', refresh_token: 'unknown' }, svc), 400, 'unauthorized_client'));
  });

  describe('one transaction per request', () => {
    const client = async (grantType: string) => {
      const { record } = await createClient(ctx, { client_secret: SECRET, grant_types: ['client_credentials'] });
      await ctx.stores.clients.update({ ...record, metadata: { ...record.metadata, grant_types: [grantType] } });
      return record.clientId;
    };

    it('rolls back every row, audit included, when writing fails part-way', async () => {
      registerGrant({
        grantType: 'urn:test:half-written',
        schema: { type: 'object', properties: {} },
        async handle(context, _input, c) {
          const now = context.clock();
          const row: GrantRecord = { id: newId(), clientId: c.clientId, userId: null, scope: '', claims: null, resource: null, authTime: null, acr: null, amr: null, sid: null, createdAt: now, expiresAt: now + 60, revokedAt: null, revokedReason: null };
          return {
            body: { access_token: 'never-sent', token_type: 'Bearer', expires_in: 60 },
            userId: null,
            details: {},
            // The same primary key twice: the atomic insert fails after writing the first row.
            newRows: { grants: [row, row] },
          };
        },
      });
      const clientId = await client('urn:test:half-written');
      const response = await expectError(() => postToken(app, { grant_type: 'urn:test:half-written' }, { authorization: basic(clientId, SECRET) }), 500, 'server_error');
      expect(response.body.error_description).not.toMatch(/constraint|unique|duplicate|sql/i);
    });

    it('answers an unexpected error with server_error and no internals', async () => {
      registerGrant({
        grantType: 'urn:test:boom',
        schema: { type: 'object', properties: {} },
        async handle() {
          throw new Error('internal detail /etc/secret');
        },
      });
      const clientId = await client('urn:test:boom');
      const response = await expectError(() => postToken(app, { grant_type: 'urn:test:boom' }, { authorization: basic(clientId, SECRET) }), 500, 'server_error');
      expect(JSON.stringify(response.body)).not.toContain('secret');
    });
  });
});
