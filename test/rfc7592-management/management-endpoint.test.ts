import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '../../src/clients/client-metadata.js';
import { createClient, hmacSecret, secretMatches } from '../../src/clients/client-service.js';
import { OPERATOR_ONLY_METADATA } from '../../src/clients/operator-metadata.js';
import { createApp } from '../../src/server/app.js';
import { resolveAccessToken } from '../../src/tokens/access-token.js';
import { basic, postToken } from '../support/token-fixtures.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const REDIRECT = 'https://rp.example/cb';

interface Registered {
  client_id: string;
  client_secret?: string;
  registration_access_token: string;
  registration_client_uri: string;
  [name: string]: unknown;
}

describe(`RFC 7592 client configuration endpoint (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  let client: Registered;

  const path = (uri: string) => new URL(uri).pathname;
  const bearer = (token: string) => `Bearer ${token}`;
  const get = (c: Registered, token = c.registration_access_token) => request(app).get(path(c.registration_client_uri)).set('authorization', bearer(token));
  const put = (c: Registered, body: unknown, token = c.registration_access_token) =>
    request(app).put(path(c.registration_client_uri)).set('authorization', bearer(token)).set('content-type', 'application/json').send(JSON.stringify(body));
  const del = (c: Registered, token = c.registration_access_token) => request(app).delete(path(c.registration_client_uri)).set('authorization', bearer(token));

  async function registerClient(body: Record<string, unknown> = {}): Promise<Registered> {
    const res = await request(app).post('/register').set('content-type', 'application/json')
      .send(JSON.stringify({ redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'client_credentials'], client_name: 'Shop', logo_uri: 'https://rp.example/logo.png', ...body }));
    expect(res.status).toBe(201);
    return res.body as Registered;
  }

  beforeAll(async () => {
    ctx = await createTestContext({ rateLimitEnabled: false });
    app = createApp(ctx);
  });
  afterAll(() => ctx.close());
  beforeEach(async () => {
    client = await registerClient();
  });

  describe('§2 authorization with the registration access token', () => {
    it('MUST answer 401 with a Bearer challenge when no token is sent', async () => {
      const res = await request(app).get(path(client.registration_client_uri));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="castellan"');
      expect(res.body.error).toBe('invalid_token');
    });

    it('MUST answer 401 invalid_token to a wrong token on GET, PUT and DELETE', async () => {
      for (const res of [await get(client, 'wrong'), await put(client, { client_id: client.client_id, redirect_uris: [REDIRECT] }, 'wrong'), await del(client, 'wrong')]) {
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('invalid_token');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="castellan", error="invalid_token"/);
      }
      expect(await ctx.stores.clients.find(client.client_id)).toBeDefined();
    });

    it('MUST answer 401 to another client\'s token, exactly as to an unknown client (existence never revealed)', async () => {
      const other = await registerClient();
      const foreign = await get(client, other.registration_access_token);
      const unknown = await request(app).get('/register/no-such-client').set('authorization', bearer(other.registration_access_token));
      expect(foreign.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(foreign.body).toEqual(unknown.body);
      expect(foreign.headers['www-authenticate']).toBe(unknown.headers['www-authenticate']);
    });

    it('refuses management of a client that was not dynamically registered (it holds no registration token)', async () => {
      await createClient(ctx, { client_id: 'cli-made', redirect_uris: [REDIRECT] });
      const res = await request(app).get('/register/cli-made').set('authorization', bearer(client.registration_access_token));
      expect(res.status).toBe(401);
    });
  });

  describe('§2.1 client read request', () => {
    it('MUST return the current registration with the management credentials, never cached', async () => {
      const res = await get(client);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({
        client_id: client.client_id, client_name: 'Shop', redirect_uris: [REDIRECT], client_secret_expires_at: 0,
        registration_access_token: client.registration_access_token, registration_client_uri: client.registration_client_uri,
        client_id_issued_at: client.client_id_issued_at,
      });
      // Only a hash is stored: the secret issued at registration cannot be shown again.
      expect(res.body.client_secret).toBeUndefined();
    });
  });

  describe('§2.2 client update request', () => {
    it('MUST replace the metadata: omitted fields are removed or take their defaults', async () => {
      const res = await put(client, { client_id: client.client_id, redirect_uris: ['https://rp.example/other'], client_name: 'Shop 2' });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({ client_id: client.client_id, client_name: 'Shop 2', redirect_uris: ['https://rp.example/other'], grant_types: ['authorization_code'] });
      expect(res.body.logo_uri).toBeUndefined();
      const stored = (await ctx.stores.clients.find(client.client_id))!;
      expect(stored.metadata.logo_uri).toBeUndefined();
      expect(stored.metadata.grant_types).toEqual(['authorization_code']);
    });

    it('keeps the client secret and the registration access token', async () => {
      const res = await put(client, { client_id: client.client_id, client_secret: client.client_secret, redirect_uris: [REDIRECT], grant_types: ['client_credentials', 'authorization_code'] });
      expect(res.status).toBe(200);
      expect(res.body.client_secret).toBeUndefined();
      expect(res.body.registration_access_token).toBe(client.registration_access_token);
      const token = await postToken(app, { grant_type: 'client_credentials' }, { authorization: basic(client.client_id, client.client_secret!) });
      expect(token.status).toBe(200);
      expect((await get(client)).status).toBe(200);
    });

    it('ignores the registration fields a client echoes back from a read', async () => {
      const read = (await get(client)).body as Record<string, unknown>;
      const res = await put(client, { ...read, client_name: 'Echoed' });
      expect(res.status).toBe(200);
      expect(res.body.client_name).toBe('Echoed');
      expect((await ctx.stores.clients.find(client.client_id))!.metadata.registration_access_token).toBeUndefined();
    });

    it('MUST require client_id in the body', async () => {
      const res = await put(client, { redirect_uris: [REDIRECT] });
      expect([res.status, res.body.error, res.body.error_description]).toEqual([400, 'invalid_client_metadata', 'client_id is required']);
    });

    it('MUST refuse a client_id that is not the client\'s own', async () => {
      const res = await put(client, { client_id: 'someone-else', redirect_uris: [REDIRECT] });
      expect([res.status, res.body.error]).toEqual([400, 'invalid_client_metadata']);
    });

    it('MUST refuse a client_secret that does not match (a client never chooses its own secret)', async () => {
      const res = await put(client, { client_id: client.client_id, client_secret: 'a-secret-the-client-would-like-to-have-0123456789', redirect_uris: [REDIRECT] });
      expect([res.status, res.body.error]).toEqual([400, 'invalid_client_metadata']);
      const stored = (await ctx.stores.clients.find(client.client_id))!;
      expect(secretMatches(stored, client.client_secret!)).toBe(true);
    });

    it('validates the new metadata like a registration (invalid_redirect_uri) and changes nothing on failure', async () => {
      const res = await put(client, { client_id: client.client_id, redirect_uris: ['https://rp.example/cb#fragment'] });
      expect([res.status, res.body.error]).toEqual([400, 'invalid_redirect_uri']);
      expect((await ctx.stores.clients.find(client.client_id))!.metadata.client_name).toBe('Shop');
    });

    it('checks the token before the body', async () => {
      const res = await request(app).put(path(client.registration_client_uri)).set('content-type', 'application/json').send('garbage');
      expect(res.status).toBe(401);
    });

    it('issues a secret (returned once) when a public client becomes confidential', async () => {
      const pub = await registerClient({ token_endpoint_auth_method: 'none', grant_types: ['authorization_code'] });
      expect(pub.client_secret).toBeUndefined();
      const res = await put(pub, { client_id: pub.client_id, redirect_uris: [REDIRECT], grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' });
      expect(res.status).toBe(200);
      expect(res.body.client_secret_expires_at).toBe(0);
      const token = await postToken(app, { grant_type: 'client_credentials', client_id: pub.client_id, client_secret: res.body.client_secret as string });
      expect(token.status).toBe(200);
    });

    it('seals the presented secret when a client moves to client_secret_jwt, and drops it when it becomes public', async () => {
      const res = await put(client, { client_id: client.client_id, client_secret: client.client_secret, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_jwt' });
      expect(res.status).toBe(200);
      expect(res.body.client_secret).toBeUndefined();
      expect(hmacSecret(ctx, (await ctx.stores.clients.find(client.client_id))!)).toBe(client.client_secret);
      const pub = await put(client, { client_id: client.client_id, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
      expect(pub.status).toBe(200);
      const stored = (await ctx.stores.clients.find(client.client_id))!;
      expect([stored.secretHash, stored.secretEncrypted]).toEqual([null, null]);
    });

    it('MUST record client.updated with the change', async () => {
      await put(client, { client_id: client.client_id, redirect_uris: [REDIRECT] });
      const events = await ctx.stores.audit.list({ type: 'client.updated', clientId: client.client_id });
      expect(events).toHaveLength(1);
      expect(events[0].ip).toMatch(/127\.0\.0\.1/);
    });
  });

  describe('operator-only metadata across a self-update (CASTELLAN-CLIENTS-2)', () => {
    const GRANTS = ['authorization_code', 'client_credentials', TOKEN_EXCHANGE_GRANT_TYPE];
    const OPERATOR = {
      resources: ['https://api.example/'],
      served_resources: ['https://rs.example/'],
      token_exchange: { subject_token_types: ['urn:ietf:params:oauth:token-type:access_token'], audiences: ['https://api.example/'], impersonation: true, delegation: false },
    };
    const OTHER = {
      resources: ['https://evil.example/'],
      served_resources: ['https://evil.example/'],
      token_exchange: { subject_token_types: ['urn:ietf:params:oauth:token-type:access_token'], audiences: ['https://evil.example/'], impersonation: true, delegation: true },
    };
    let managed: Registered;
    let granted: Record<string, unknown>;

    beforeEach(async () => {
      // As an operator creates it (service API of `castellan clients add` and the seed), with a registration access token.
      const created = await createClient(ctx, { redirect_uris: [REDIRECT], grant_types: GRANTS, client_name: 'RS', ...OPERATOR }, undefined, { registrationToken: true });
      managed = { client_id: created.record.clientId, client_secret: created.clientSecret, registration_access_token: created.registrationAccessToken!, registration_client_uri: `${ctx.config.issuer}/register/${created.record.clientId}` };
      granted = Object.fromEntries(OPERATOR_ONLY_METADATA.map((name) => [name, created.record.metadata[name]]));
      expect(granted.token_exchange).toMatchObject(OPERATOR.token_exchange);
    });
    const stored = async () => (await ctx.stores.clients.find(managed.client_id))!.metadata;

    it.each(OPERATOR_ONLY_METADATA)('MUST keep %s set by the operator across an update that omits it', async (name) => {
      const res = await put(managed, { client_id: managed.client_id, redirect_uris: [REDIRECT], grant_types: GRANTS, client_name: 'RS 2' });
      expect(res.status, res.text).toBe(200);
      expect([res.body.client_name, res.body[name]]).toEqual(['RS 2', granted[name]]);
      expect((await stored())[name]).toEqual(granted[name]);
      expect((await get(managed)).body[name]).toEqual(granted[name]);
    });

    it.each(OPERATOR_ONLY_METADATA)('MUST NOT let an update change %s', async (name) => {
      const res = await put(managed, { client_id: managed.client_id, redirect_uris: [REDIRECT], grant_types: GRANTS, [name]: OTHER[name as keyof typeof OTHER] });
      expect(res.status, res.text).toBe(200);
      expect(res.body[name]).toEqual(granted[name]);
      expect((await stored())[name]).toEqual(granted[name]);
    });

    it('MUST NOT let an update add operator-only metadata to a client without it', async () => {
      const res = await put(client, { client_id: client.client_id, redirect_uris: [REDIRECT], grant_types: GRANTS, ...OTHER });
      expect(res.status, res.text).toBe(200);
      const metadata = (await ctx.stores.clients.find(client.client_id))!.metadata;
      for (const name of OPERATOR_ONLY_METADATA) expect([res.body[name], metadata[name]]).toEqual([undefined, undefined]);
    });

    it('MUST refuse an update that contradicts the kept values (a public client cannot serve resources), changing nothing', async () => {
      const before = await stored();
      const res = await put(managed, { client_id: managed.client_id, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
      expect([res.status, res.body.error]).toEqual([400, 'invalid_client_metadata']);
      expect(res.body.error_description).toMatch(/set by the operator/);
      const dropsGrant = await put(managed, { client_id: managed.client_id, redirect_uris: [REDIRECT], grant_types: ['authorization_code'] });
      expect([dropsGrant.status, dropsGrant.body.error]).toEqual([400, 'invalid_client_metadata']);
      expect(dropsGrant.body.error_description).toMatch(/token_exchange: needs the grant type.*set by the operator/);
      expect(await stored()).toEqual(before);
    });
  });

  describe('§2.3 client delete request', () => {
    it('MUST answer 204, remove the client and revoke its grants and tokens', async () => {
      const token = await postToken(app, { grant_type: 'client_credentials' }, { authorization: basic(client.client_id, client.client_secret!) });
      expect(token.status).toBe(200);
      expect(await resolveAccessToken(ctx, token.body.access_token as string)).toBeDefined();

      const res = await del(client);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(await ctx.stores.clients.find(client.client_id)).toBeUndefined();
      expect(await resolveAccessToken(ctx, token.body.access_token as string)).toBeUndefined();
      const [event] = await ctx.stores.audit.list({ type: 'client.deleted', clientId: client.client_id });
      expect(event.details).toEqual({ grantsRevoked: 1 });
    });

    it('MUST refuse the client\'s credentials and its registration access token afterwards', async () => {
      expect((await del(client)).status).toBe(204);
      const token = await postToken(app, { grant_type: 'client_credentials' }, { authorization: basic(client.client_id, client.client_secret!) });
      expect(token.status).toBe(401);
      expect((await get(client)).status).toBe(401);
      expect((await del(client)).status).toBe(401);
    });
  });

  it('answers 405 with Allow to other methods', async () => {
    const res = await request(app).post(path(client.registration_client_uri)).set('authorization', bearer(client.registration_access_token));
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, PUT, DELETE');
  });
});
