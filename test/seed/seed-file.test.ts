/**
 * The seed file: validation messages name the entry and the problem; applying is one transaction and
 * idempotent. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (client metadata)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySeed, SeedError, validateSeed, type SeedFile } from '../../src/seed/seed-file.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const example = JSON.parse(readFileSync(new URL('../../seed/example.json', import.meta.url), 'utf8'));
const web = { client_id: 'web', client_secret: 's'.repeat(32), redirect_uris: ['https://rp.example/cb'] };
const user = { username: 'ada', password: 'analytical engine' };
const options = { production: false, passwordMinLength: 12 };

function problem(document: unknown, production = false): string {
  try {
    validateSeed(document, { ...options, production });
  } catch (error) {
    expect(error).toBeInstanceOf(SeedError);
    return (error as Error).message;
  }
  throw new Error('expected a SeedError');
}

describe('seed file validation', () => {
  it('accepts seed/example.json', () => {
    expect(validateSeed(example, options)).toEqual(example);
  });

  it.each([
    [[], 'the seed file must be a JSON object with "clients" and/or "users"'],
    [{ clients: {} }, 'clients must be array'],
    [{ client: [] }, 'client is not a recognised seed file member'],
    [{ clients: [{ redirect_uris: ['https://rp.example/cb'] }] }, 'clients[0]: client_id is required'],
    [{ clients: [web, { ...web, client_id: 'x', redirect_uri: 'https://typo.example' }] }, 'clients[1].redirect_uri is not a recognised seed file member'],
    [{ clients: [{ ...web, client_secret: 'short' }] }, 'clients[0] (client_id "web"): client_secret must NOT have fewer than 32 characters'],
    [{ clients: [{ ...web, redirect_uris: 'https://rp.example/cb' }] }, 'clients[0] (client_id "web"): redirect_uris must be array'],
    [{ clients: [{ ...web, token_endpoint_auth_method: 'attest_jwt_client_auth' }] }, 'clients[0] (client_id "web"): token_endpoint_auth_method must be one of client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, none, tls_client_auth, self_signed_tls_client_auth'],
    [{ clients: [{ client_id: 'web' }] }, 'clients[0] (client_id "web"): redirect_uris is required for the authorization_code grant'],
    [{ clients: [{ ...web, client_secret: undefined }] }, 'clients[0] (client_id "web"): client_secret is required for client_secret_basic'],
    [{ clients: [{ ...web, token_endpoint_auth_method: 'none' }] }, 'clients[0] (client_id "web"): client_secret is not used with none'],
    [{ clients: [web, web] }, 'clients[1] (client_id "web"): client_id appears more than once'],
    [{ users: [{ username: 'ada' }] }, 'users[0] (username "ada"): password is required'],
    [{ users: [{ ...user, password: '' }] }, 'users[0] (username "ada"): password must NOT have fewer than 1 characters'],
    [{ users: [{ ...user, password: 'short pw' }] }, 'users[0] (username "ada"): password must be at least 12 characters'],
    [{ users: [{ ...user, password: 'password1234' }] }, 'users[0] (username "ada"): password is too common: choose one that is not on lists of frequently used passwords'],
    [{ users: [{ username: 'ada.lovelace', password: 'Ada.Lovelace' }] }, 'users[0] (username "ada.lovelace"): password must not be the username'],
    [{ users: [{ ...user, claims: { email: 'nope' } }] }, 'users[0] (username "ada"): claims.email must match format "email"'],
    [{ users: [{ ...user, claims: { email_verified: 'yes' } }] }, 'users[0] (username "ada"): claims.email_verified must be boolean'],
    [{ users: [{ ...user, claims: { address: { city: 'Oxford' } } }] }, 'users[0].claims.address.city is not a recognised seed file member'],
    [{ users: [{ ...user, claims: { shoe_size: 42 } }] }, 'users[0].claims.shoe_size is not a standard OpenID Connect claim'],
    [{ users: [{ ...user, claims: { sub: 'chosen' } }] }, "users[0].claims.sub: sub is the user's generated id and cannot be set"],
    [{ users: [{ ...user, claims: { birthdate: '4 May 1852' } }] }, 'users[0] (username "ada"): claims.birthdate must match pattern "^\\d{4}(-\\d{2}-\\d{2})?$"'],
    [{ users: [user, user] }, 'users[1] (username "ada"): username appears more than once'],
    [{ clients: [{ ...web, grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:token-exchange'], token_exchange: { subject_token_types: ['urn:ietf:params:oauth:token-type:saml2'], audiences: ['a'], impersonation: true, delegation: false } }] }, 'clients[0] (client_id "web"): token_exchange.subject_token_types[0] must be one of urn:ietf:params:oauth:token-type:access_token, urn:ietf:params:oauth:token-type:refresh_token, urn:ietf:params:oauth:token-type:id_token, urn:ietf:params:oauth:token-type:jwt'],
    [{ clients: [{ ...web, token_exchange: { subject_token_types: ['urn:ietf:params:oauth:token-type:jwt'], audiences: ['a'], impersonation: true, delegation: false } }] }, 'clients[0] (client_id "web"): token_exchange: needs the grant type urn:ietf:params:oauth:grant-type:token-exchange'],
  ])('reports %j as: %s', (document, message) => {
    expect(problem(document)).toBe(message);
  });

  it('accepts the signing algs of ID tokens, UserInfo and JARM responses, and refuses none', () => {
    const algs = { id_token_signed_response_alg: 'PS256', userinfo_signed_response_alg: 'EdDSA', authorization_signed_response_alg: 'ES256' };
    expect(validateSeed({ clients: [{ ...web, ...algs }] }, options).clients?.[0]).toMatchObject(algs);
    expect(problem({ clients: [{ ...web, userinfo_signed_response_alg: 'none' }] })).toBe('clients[0] (client_id "web"): userinfo_signed_response_alg must be one of RS256, PS256, ES256, EdDSA');
  });

  it('accepts a FAPI 2.0 client: the profile with its defaults, pushed requests and request object metadata', () => {
    const fapi = {
      client_id: 'fapi', profile: 'fapi2', redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] },
      require_pushed_authorization_requests: true, require_signed_request_object: true, request_object_signing_alg: 'PS256', request_uris: ['https://rp.example/request.jwt'],
    };
    expect(validateSeed({ clients: [fapi] }, options).clients?.[0]).toEqual(fapi);
    expect(problem({ clients: [{ ...fapi, profile: 'fapi1' }] })).toBe('clients[0] (client_id "fapi"): profile must be one of fapi2');
    expect(problem({ clients: [{ ...fapi, token_endpoint_auth_method: 'client_secret_basic', client_secret: 's'.repeat(32) }] })).toBe(
      'clients[0] (client_id "fapi"): profile fapi2: token_endpoint_auth_method must be private_key_jwt, tls_client_auth, self_signed_tls_client_auth (FAPI 2.0 SP 5.3.2.1)',
    );
    expect(problem({ clients: [{ ...fapi, request_object_signing_alg: 'HS256' }] })).toMatch(/^clients\[0\] \(client_id "fapi"\): request_object_signing_alg must be one of none, /);
  });

  it('accepts conformance/seed.json, the conformance suite clients (FAPI 2.0 among them) and the example resource server', () => {
    const conformance = JSON.parse(readFileSync(new URL('../../conformance/seed.json', import.meta.url), 'utf8'));
    const clients = validateSeed(conformance, options).clients ?? [];
    expect(clients).toHaveLength(27);
    expect(clients.filter((c) => c.profile === 'fapi2')).toHaveLength(16);
    expect(clients.find((c) => c.client_id === 'conformance-resource-server')).toMatchObject({ served_resources: [], token_endpoint_auth_method: 'client_secret_basic' });
  });

  it('applies production redirect rules when the server runs in production', () => {
    expect(problem({ clients: [{ ...web, redirect_uris: ['http://rp.example/cb'] }] }, true)).toBe(
      'clients[0] (client_id "web"): redirect_uri must be https in production (native clients may use loopback IPs)',
    );
  });
});

describe(`seed file application on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('writes nothing when an entry fails while applying (one transaction)', async () => {
    // Bypasses validateSeed on purpose: the transaction must hold even for what validation missed.
    const seed = { clients: [web, { client_id: 'bad', client_secret: 's'.repeat(32) }], users: [user] } as SeedFile;
    await expect(applySeed(ctx, seed)).rejects.toThrow(new SeedError('clients[1] (client_id "bad"): redirect_uris is required for the authorization_code grant'));
    expect(await ctx.stores.clients.find('web')).toBeUndefined();
    expect(await ctx.stores.users.findByUsername('ada')).toBeUndefined();
  });

  it('creates the clients and users, and records one audit event', async () => {
    const report = await applySeed(ctx, validateSeed(example, options));
    expect(report.clients.created).toEqual(example.clients.map((c: { client_id: string }) => c.client_id));
    expect(report.users).toEqual({ created: ['alice'], existing: [] });
    expect(await ctx.stores.audit.list({ type: 'seed.applied' })).toHaveLength(1);
  });

  it('leaves an existing client unchanged even when the file now says otherwise', async () => {
    const changed = structuredClone(example);
    changed.clients[0].client_name = 'Renamed in the file';
    const report = await applySeed(ctx, validateSeed(changed, options));
    expect(report.clients.created).toEqual([]);
    expect(report.clients.existing).toContain(example.clients[0].client_id);
    expect((await ctx.stores.clients.find(example.clients[0].client_id))?.metadata.client_name).toBe(example.clients[0].client_name);
  });
});
