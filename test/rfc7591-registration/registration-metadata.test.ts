/**
 * The metadata of registration.schema.ts through the endpoints: every member Castellan understands
 * and a client may set round-trips through POST /register and GET /register/:client_id, a bad value
 * is invalid_client_metadata, and the operator-only members never get in.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2
 */
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_ONLY_METADATA } from '../../src/clients/operator-metadata.js';
import { backendName, createTestContextWithApp, type TestContext } from '../support/test-context.js';

const REDIRECT = 'https://rp.example/cb';
const KEYS = { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] };
const register = (app: Express, body: unknown) => request(app).post('/register').set('content-type', 'application/json').send(JSON.stringify(body));

describe(`RFC 7591 §2 registrable metadata (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;

  beforeAll(async () => {
    ({ ctx, app } = await createTestContextWithApp({ rateLimitEnabled: false }));
  });
  afterAll(() => ctx.close());

  const read = (body: Record<string, unknown>) =>
    request(app).get(new URL(body.registration_client_uri as string).pathname).set('authorization', `Bearer ${body.registration_access_token as string}`);

  describe('request object, pushed request and profile metadata', () => {
    it.each([
      ['require_pushed_authorization_requests', { require_pushed_authorization_requests: true }],
      ['require_signed_request_object', { require_signed_request_object: true }],
      ['request_object_signing_alg', { request_object_signing_alg: 'PS256', jwks: KEYS }],
      ['request_uris', { request_uris: ['https://rp.example/request.jwt#4f1c2a', 'https://rp.example/other.jwt'] }],
      ['profile', { profile: 'fapi2', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'PS256', jwks: KEYS }],
    ])('registers %s: the response, the stored client and a read all carry it', async (name, metadata: Record<string, unknown>) => {
      const res = await register(app, { redirect_uris: [REDIRECT], ...metadata });
      expect(res.status, res.text).toBe(201);
      expect(res.body[name]).toEqual(metadata[name]);
      expect((await ctx.stores.clients.find(res.body.client_id as string))!.metadata[name]).toEqual(metadata[name]);
      const current = await read(res.body as Record<string, unknown>);
      expect(current.status).toBe(200);
      expect(current.body[name]).toEqual(metadata[name]);
    });

    it('registers the FAPI 2.0 profile with its defaults filled in', async () => {
      const res = await register(app, { redirect_uris: [REDIRECT], profile: 'fapi2', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'PS256', jwks: KEYS });
      expect(res.body).toMatchObject({ profile: 'fapi2', require_pushed_authorization_requests: true, require_pkce: true, dpop_bound_access_tokens: true, authorization_code_lifetime: 60, id_token_signed_response_alg: 'ES256' });
    });

    it.each([
      ['require_pushed_authorization_requests that is not a boolean', { require_pushed_authorization_requests: 'yes' }, /require_pushed_authorization_requests must be of type boolean/],
      ['require_signed_request_object that is not a boolean', { require_signed_request_object: 1 }, /require_signed_request_object must be of type boolean/],
      ['a request_object_signing_alg it cannot verify', { request_object_signing_alg: 'HS256', jwks: KEYS }, /request_object_signing_alg must be one of/],
      ['a signing request_object_signing_alg without keys', { request_object_signing_alg: 'ES256' }, /jwks or jwks_uri/],
      ['request_object_signing_alg none with require_signed_request_object', { request_object_signing_alg: 'none', require_signed_request_object: true }, /contradicts/],
      ['request_uris that is not a list', { request_uris: 'https://rp.example/request.jwt' }, /request_uris must be of type array/],
      ['a request_uri that is not an absolute URL', { request_uris: ['request.jwt'] }, /request_uris/],
      ['an unknown profile', { profile: 'fapi1' }, /profile must be fapi2/],
      ['the FAPI 2.0 profile with client_secret_basic', { profile: 'fapi2' }, /profile fapi2: token_endpoint_auth_method/],
    ])('refuses %s with invalid_client_metadata, storing nothing', async (_label, metadata: Record<string, unknown>, pattern: RegExp) => {
      const before = (await ctx.stores.clients.list()).length;
      const res = await register(app, { redirect_uris: [REDIRECT], ...metadata });
      expect([res.status, res.body.error]).toEqual([400, 'invalid_client_metadata']);
      expect(res.body.error_description).toMatch(pattern);
      expect((await ctx.stores.clients.list()).length).toBe(before);
    });
  });

  describe('operator-only metadata', () => {
    it('drops resources, served_resources and token_exchange: a client cannot grant itself audiences, introspection or exchange rights', async () => {
      const res = await register(app, {
        grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
        resources: ['https://api.example/'],
        served_resources: ['https://api.example/'],
        token_exchange: { subject_token_types: ['urn:ietf:params:oauth:token-type:access_token'], audiences: ['https://api.example/'], impersonation: true, delegation: true },
      });
      expect(res.status, res.text).toBe(201);
      const stored = (await ctx.stores.clients.find(res.body.client_id as string))!.metadata;
      expect(OPERATOR_ONLY_METADATA).toEqual(['resources', 'served_resources', 'token_exchange']);
      for (const name of OPERATOR_ONLY_METADATA) {
        expect(res.body[name]).toBeUndefined();
        expect((await read(res.body as Record<string, unknown>)).body[name]).toBeUndefined();
        expect(stored[name]).toBeUndefined();
      }
    });
  });
});
