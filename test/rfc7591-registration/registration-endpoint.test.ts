import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretMatches } from '../../src/clients/client-service.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { basic, postToken } from '../support/token-fixtures.js';
import { backendName, createTestContextWithApp, type TestContext } from '../support/test-context.js';

const REDIRECT = 'https://rp.example/cb';
const register = (app: Express, body: unknown) => request(app).post('/register').set('content-type', 'application/json').send(JSON.stringify(body));

describe(`RFC 7591 §3 client registration endpoint (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;

  beforeAll(async () => {
    ({ ctx, app } = await createTestContextWithApp({ rateLimitEnabled: false }));
  });
  afterAll(() => ctx.close());

  describe('§3.2.1 client information response', () => {
    it('MUST answer 201 with client_id, the registered metadata and the management credentials, never cached', async () => {
      const res = await register(app, { redirect_uris: [REDIRECT], client_name: 'Shop', scope: 'openid profile', contacts: ['ops@rp.example'] });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.body as Record<string, unknown>;
      expect(body).toMatchObject({ redirect_uris: [REDIRECT], client_name: 'Shop', scope: 'openid profile', contacts: ['ops@rp.example'] });
      expect(typeof body.client_id).toBe('string');
      expect(body.client_id_issued_at).toBe(ctx.clock());
      expect(body.registration_client_uri).toBe(`${ctx.config.issuer}/register/${body.client_id as string}`);
      expect((body.registration_access_token as string).length).toBeGreaterThanOrEqual(43);
      const stored = (await ctx.stores.clients.find(body.client_id as string))!;
      // Only the hash of the registration access token is stored.
      expect(stored.registrationTokenHash).toBe(hashHandle(body.registration_access_token as string));
      expect(JSON.stringify(stored)).not.toContain(body.registration_access_token as string);
    });

    it('MUST apply the §2 defaults: authorization_code, code, client_secret_basic, and issue a non-expiring secret', async () => {
      const body = (await register(app, { redirect_uris: [REDIRECT] })).body as Record<string, unknown>;
      expect(body).toMatchObject({ grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', client_secret_expires_at: 0 });
      expect((body.client_secret as string).length).toBeGreaterThanOrEqual(43);
      expect(secretMatches((await ctx.stores.clients.find(body.client_id as string))!, body.client_secret as string)).toBe(true);
    });

    it('issues no secret to a public client (token_endpoint_auth_method none)', async () => {
      const body = (await register(app, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })).body as Record<string, unknown>;
      expect(body.client_secret).toBeUndefined();
      expect(body.client_secret_expires_at).toBeUndefined();
      expect(body.require_pkce).toBe(true);
    });

    it('registers a client that can then obtain tokens with its issued credentials', async () => {
      const body = (await register(app, { grant_types: ['client_credentials'], scope: 'reports' })).body as Record<string, string>;
      const res = await postToken(app, { grant_type: 'client_credentials', scope: 'reports' }, { authorization: basic(body.client_id, body.client_secret) });
      expect(res.status).toBe(200);
      expect(res.body.access_token).toEqual(expect.any(String));
    });

    it('MUST record client.registered with the request address in the same transaction as the client', async () => {
      const body = (await register(app, { redirect_uris: [REDIRECT] }).set('user-agent', 'registration-test')).body as Record<string, string>;
      const [event] = await ctx.stores.audit.list({ type: 'client.registered', clientId: body.client_id });
      expect(event).toMatchObject({ type: 'client.registered', clientId: body.client_id, userAgent: 'registration-test' });
      expect(event.ip).toMatch(/127\.0\.0\.1/);

      const before = (await ctx.stores.clients.list()).length;
      const record = ctx.stores.audit.record.bind(ctx.stores.audit);
      ctx.stores.audit.record = async () => {
        throw new Error('audit store down');
      };
      try {
        expect((await register(app, { redirect_uris: [REDIRECT] })).status).toBe(500);
      } finally {
        ctx.stores.audit.record = record;
      }
      // The failed audit write rolled the client back with it.
      expect((await ctx.stores.clients.list()).length).toBe(before);
    });
  });

  describe('§2 unknown metadata and server-assigned values', () => {
    it('MUST ignore metadata it does not understand, and never store it', async () => {
      const body = (await register(app, { redirect_uris: [REDIRECT], frobnicate: true, 'client_name#ja-Jpan-JP': 'x' })).body as Record<string, unknown>;
      expect(body.frobnicate).toBeUndefined();
      expect((await ctx.stores.clients.find(body.client_id as string))!.metadata.frobnicate).toBeUndefined();
    });

    it('assigns client_id and client_secret itself, whatever the request carries', async () => {
      const chosen = 'a-secret-the-client-would-like-to-have-0123456789';
      const body = (await register(app, { redirect_uris: [REDIRECT], client_id: 'chosen-id', client_secret: chosen })).body as Record<string, unknown>;
      expect(body.client_id).not.toBe('chosen-id');
      expect(body.client_secret).not.toBe(chosen);
      expect(await ctx.stores.clients.find('chosen-id')).toBeUndefined();
    });

    it('assigns client_ids that a command line cannot mistake for an option (never a leading - or _)', async () => {
      // 1 in 32 random base64url ids starts with - or _; 150 registrations would show one 99% of the time.
      const ids = await Promise.all(Array.from({ length: 150 }, async () => (await register(app, { redirect_uris: [REDIRECT] })).body.client_id as string));
      expect(new Set(ids).size).toBe(150);
      for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{21}$/);
    });

    it('treats null members as omitted', async () => {
      const res = await register(app, { redirect_uris: [REDIRECT], logo_uri: null, client_name: null });
      expect(res.status).toBe(201);
      expect(res.body.logo_uri).toBeUndefined();
    });
  });

  describe('§3.2.2 error response', () => {
    const expectError = async (body: unknown, error: string, pattern?: RegExp) => {
      const res = await register(app, body);
      expect(res.status).toBe(400);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.error).toBe(error);
      if (pattern) expect(res.body.error_description).toMatch(pattern);
      return res;
    };

    it('registers the signing algs of ID tokens, UserInfo and JARM responses, and refuses none with invalid_client_metadata', async () => {
      const algs = { id_token_signed_response_alg: 'EdDSA', userinfo_signed_response_alg: 'PS256', authorization_signed_response_alg: 'ES256' };
      expect((await register(app, { redirect_uris: [REDIRECT], ...algs })).body).toMatchObject(algs);
      await expectError({ redirect_uris: [REDIRECT], userinfo_signed_response_alg: 'none' }, 'invalid_client_metadata', /userinfo_signed_response_alg/);
    });
    it('MUST answer invalid_redirect_uri for a redirect URI with a fragment', () => expectError({ redirect_uris: ['https://rp.example/cb#frag'] }, 'invalid_redirect_uri', /fragment/));
    it('MUST answer invalid_redirect_uri for a relative redirect URI', () => expectError({ redirect_uris: ['/cb'] }, 'invalid_redirect_uri'));
    it('MUST answer invalid_redirect_uri for a redirect URI without a valid scheme (localhost:8080/cb parses as scheme "localhost:")', () =>
      expectError({ redirect_uris: ['localhost:8080/cb'] }, 'invalid_redirect_uri', /no valid scheme/));
    it('accepts a native client\'s private-use scheme in reverse domain notation (RFC 8252 §7.1)', async () => {
      const res = await register(app, { redirect_uris: ['com.example.app:/callback'], application_type: 'native', token_endpoint_auth_method: 'none' });
      expect(res.status, res.text).toBe(201);
    });
    it('MUST answer invalid_redirect_uri when the code grant has no redirect URI', () => expectError({ grant_types: ['authorization_code'] }, 'invalid_redirect_uri', /required/));
    it('answers invalid_redirect_uri for a redirect URI of the wrong type', () => expectError({ redirect_uris: 'https://rp.example/cb' }, 'invalid_redirect_uri', /array/));
    it('answers invalid_redirect_uri for a javascript: redirect URI', () => expectError({ redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'));
    it('MUST NOT accept jwks and jwks_uri together', () => expectError(
      { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] }, jwks_uri: 'https://rp.example/jwks' },
      'invalid_client_metadata', /mutually exclusive/,
    ));
    it('refuses private key material in jwks', () => expectError(
      { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'secret' }] } },
      'invalid_client_metadata', /public keys only/,
    ));
    it('refuses private_key_jwt without keys', () => expectError({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata', /jwks/));
    it('refuses response_types that contradict grant_types', () => expectError({ redirect_uris: [REDIRECT], grant_types: ['client_credentials'], response_types: ['code'] }, 'invalid_client_metadata'));
    it('refuses unsupported grant types (implicit, password)', async () => {
      await expectError({ redirect_uris: [REDIRECT], grant_types: ['implicit'] }, 'invalid_client_metadata', /implicit/);
      await expectError({ grant_types: ['password'] }, 'invalid_client_metadata', /password/);
    });
    it('refuses an unknown token_endpoint_auth_method', () => expectError({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'tls_client_auth' }, 'invalid_client_metadata'));
    it('refuses a signing algorithm that does not suit the method', () => expectError(
      { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'RS256' }, 'invalid_client_metadata', /does not suit/,
    ));
    it('refuses require_pkce false for a public client', () => expectError({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', require_pkce: false }, 'invalid_client_metadata', /confidential/));
    it('refuses a logo_uri that is not a web URL', () => expectError({ redirect_uris: [REDIRECT], logo_uri: 'javascript:alert(1)' }, 'invalid_client_metadata', /logo_uri/));
    it('refuses contacts that are not strings', () => expectError({ redirect_uris: [REDIRECT], contacts: [42] }, 'invalid_client_metadata', /contacts/));
    it('refuses a body that is not a JSON object', async () => {
      await expectError([{ redirect_uris: [REDIRECT] }], 'invalid_client_metadata', /JSON object/);
      const malformed = await request(app).post('/register').set('content-type', 'application/json').send('{"redirect_uris": [');
      expect([malformed.status, malformed.body.error]).toEqual([400, 'invalid_client_metadata']);
    });
    it('MUST take JSON: a form body is refused', async () => {
      const res = await request(app).post('/register').type('form').send('redirect_uris=https%3A%2F%2Frp.example%2Fcb');
      expect([res.status, res.body.error]).toEqual([400, 'invalid_client_metadata']);
    });
    it('refuses a body larger than 64 KiB with 413', async () => {
      const res = await register(app, { redirect_uris: [REDIRECT], client_name: 'x'.repeat(70_000) });
      expect(res.status).toBe(413);
    });
    it('refuses over-long values', () => expectError({ redirect_uris: [REDIRECT], client_name: 'x'.repeat(300) }, 'invalid_client_metadata', /too long/));
    it('MUST refuse a software statement that is not a JWT with invalid_software_statement', () => expectError({ redirect_uris: [REDIRECT], software_statement: 'not-a-jwt' }, 'invalid_software_statement'));
    it('refuses a well-formed software statement with unapproved_software_statement (no statement issuer is trusted)', async () => {
      const statement = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"software_id":"x"}').toString('base64url')}.`;
      await expectError({ redirect_uris: [REDIRECT], software_statement: statement }, 'unapproved_software_statement');
    });
    it('leaves nothing behind after a refused registration', async () => {
      const before = (await ctx.stores.clients.list()).length;
      await expectError({ redirect_uris: ['https://rp.example/cb#x'] }, 'invalid_redirect_uri');
      expect((await ctx.stores.clients.list()).length).toBe(before);
    });
  });

  describe('HTTP method', () => {
    it('answers 405 with Allow: POST to other methods', async () => {
      const res = await request(app).get('/register');
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
    });
  });

  describe('provider metadata', () => {
    it('advertises registration_endpoint while registration is enabled', async () => {
      const res = await request(app).get('/.well-known/openid-configuration');
      expect(res.body.registration_endpoint).toBe(`${ctx.config.issuer}/register`);
    });
  });
});

describe(`RFC 7591 §3 client registration in production mode (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;

  beforeAll(async () => {
    ({ ctx, app } = await createTestContextWithApp({ production: true, issuer: 'https://id.example.test', registrationMode: 'open', rateLimitEnabled: false }));
  });
  afterAll(() => ctx.close());

  const status = async (body: unknown) => {
    const res = await register(app, body);
    return [res.status, res.body.error];
  };

  it('MUST refuse plain http redirect URIs for web clients', async () => {
    expect(await status({ redirect_uris: ['http://rp.example/cb'] })).toEqual([400, 'invalid_redirect_uri']);
  });
  it('MUST refuse localhost and loopback redirect URIs for web clients', async () => {
    expect(await status({ redirect_uris: ['https://localhost/cb'] })).toEqual([400, 'invalid_redirect_uri']);
    expect(await status({ redirect_uris: ['https://127.0.0.1/cb'] })).toEqual([400, 'invalid_redirect_uri']);
  });
  it('MUST let native clients use http loopback IP literals (RFC 8252 §7.3), but not the name localhost', async () => {
    expect(await status({ application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1:53124/cb', 'http://[::1]/cb'] })).toEqual([201, undefined]);
    expect(await status({ application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['http://localhost:53124/cb'] })).toEqual([400, 'invalid_redirect_uri']);
  });
  it('accepts https redirect URIs', async () => {
    expect(await status({ redirect_uris: [REDIRECT] })).toEqual([201, undefined]);
  });
  it('MUST refuse http client_uri, logo_uri, policy_uri and tos_uri', async () => {
    for (const name of ['client_uri', 'logo_uri', 'policy_uri', 'tos_uri']) {
      expect(await status({ redirect_uris: [REDIRECT], [name]: 'http://rp.example/page' })).toEqual([400, 'invalid_client_metadata']);
    }
  });
  it('builds registration_client_uri on the https issuer', async () => {
    const res = await register(app, { redirect_uris: [REDIRECT] });
    expect(res.body.registration_client_uri).toBe(`https://id.example.test/register/${res.body.client_id as string}`);
  });
});
