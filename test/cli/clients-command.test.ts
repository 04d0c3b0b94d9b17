/**
 * `castellan clients add|list|show|remove`, run in-process on a SQLite file.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (client metadata)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { newClientId } from '../../src/clients/client-service.js';
import { secretMatches } from '../../src/clients/client-service.js';
import { newId } from '../../src/tokens/handles.js';
import { cliRig, type CliRig } from './cli-harness.js';

describe('castellan clients (SQLite file)', () => {
  let rig: CliRig;
  beforeAll(() => {
    rig = cliRig();
  });

  it('adds a confidential client and prints client_id and the secret once', async () => {
    const added = await rig.cli(['clients', 'add', '--client-id', 'web-1', '--name', 'Web one', '--redirect-uri', 'https://rp.example/cb',
      '--redirect-uri', 'https://rp.example/cb2', '--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--scope', 'openid email']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/^client_id: +web-1$/m);
    const secret = /^client_secret: +(\S+)$/m.exec(added.stdout)?.[1];
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const record = await rig.withStores((stores) => stores.clients.find('web-1'));
    expect(secretMatches(record!, secret!)).toBe(true);
    expect(record!.metadata).toMatchObject({
      client_name: 'Web one', redirect_uris: ['https://rp.example/cb', 'https://rp.example/cb2'], grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic', scope: 'openid email', require_pkce: true,
    });
    // Never again: neither show nor list can reveal it.
    const shown = await rig.cli(['clients', 'show', 'web-1']);
    const listed = await rig.cli(['clients', 'list', '--json']);
    for (const output of [shown.stdout, listed.stdout]) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(record!.secretHash);
    }
  });

  it('sets the signing alg of ID tokens, UserInfo and JARM responses with --id-token-alg, --userinfo-alg and --authorization-response-alg', async () => {
    const added = await rig.cli(['clients', 'add', '--json', '--redirect-uri', 'https://algs.example/cb', '--id-token-alg', 'EdDSA', '--userinfo-alg', 'PS256', '--authorization-response-alg', 'ES256']);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ id_token_signed_response_alg: 'EdDSA', userinfo_signed_response_alg: 'PS256', authorization_signed_response_alg: 'ES256' });
    const refused = await rig.cli(['clients', 'add', '--redirect-uri', 'https://algs.example/cb', '--id-token-alg', 'none']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('RS256, PS256, ES256, EdDSA');
  });

  it('registers a resource server with --resource-server, with or without the resources it serves', async () => {
    const any = await rig.cli(['clients', 'add', '--json', '--client-id', 'api-rs', '--grant-type', 'client_credentials', '--resource-server']);
    expect(any.code).toBe(0);
    expect(JSON.parse(any.stdout)).toMatchObject({ client_id: 'api-rs', served_resources: [] });
    const some = await rig.cli(['clients', 'add', '--json', '--grant-type', 'client_credentials', '--resource-server', 'https://api.example/a', 'https://api.example/b']);
    expect(JSON.parse(some.stdout)).toMatchObject({ served_resources: ['https://api.example/a', 'https://api.example/b'] });
    const publicClient = await rig.cli(['clients', 'add', '--public', '--redirect-uri', 'https://rp.example/cb', '--resource-server']);
    expect(publicClient.code).not.toBe(0);
    expect(publicClient.stderr).toContain('served_resources needs a confidential client');
  });

  it('prints machine-readable JSON with --json on add, list and show', async () => {
    const added = await rig.cli(['clients', 'add', '--json', '--redirect-uri', 'https://json.example/cb', '--access-token-format', 'jwt']);
    expect(added.code).toBe(0);
    const body = JSON.parse(added.stdout);
    expect(body).toMatchObject({ redirect_uris: ['https://json.example/cb'], access_token_format: 'jwt', client_secret_expires_at: 0 });
    expect(body.client_secret.length).toBeGreaterThanOrEqual(32);
    const list = JSON.parse((await rig.cli(['clients', 'list', '--json'])).stdout) as Record<string, unknown>[];
    expect(list.map((c) => c.client_id)).toContain(body.client_id);
    expect(list.every((c) => !('client_secret' in c) && !('secretHash' in c))).toBe(true);
    const shown = JSON.parse((await rig.cli(['clients', 'show', body.client_id, '--json'])).stdout);
    expect(shown).toMatchObject({ client_id: body.client_id, access_token_format: 'jwt' });
  });

  it('generates client_ids that cannot be mistaken for an option', async () => {
    const ids = Array.from({ length: 2_000 }, newClientId);
    expect(ids.every((id) => /^[A-Za-z0-9][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const added = JSON.parse((await rig.cli(['clients', 'add', '--json', '--grant-type', 'client_credentials'])).stdout);
    expect(added.client_id).toMatch(/^[A-Za-z0-9]/);
  });

  it('lists clients as a readable table', async () => {
    const listed = await rig.cli(['clients', 'list']);
    expect(listed.code).toBe(0);
    const [header, rule, ...rows] = listed.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^CLIENT_ID +NAME +AUTH METHOD +GRANT TYPES +REDIRECT URIS$/);
    expect(rule).toMatch(/^-+( +-+)+$/);
    expect(rows.find((row) => row.startsWith('web-1 '))).toMatch(/Web one +client_secret_basic +authorization_code,refresh_token/);
  });

  it('adds a public native client without a secret (PKCE stays required)', async () => {
    const added = await rig.cli(['clients', 'add', '--public', '--application-type', 'native', '--client-id', 'native-1', '--redirect-uri', 'http://127.0.0.1/callback']);
    expect(added.code).toBe(0);
    expect(added.stdout).not.toMatch(/client_secret/);
    const record = await rig.withStores((stores) => stores.clients.find('native-1'));
    expect(record).toMatchObject({ secretHash: null, metadata: { token_endpoint_auth_method: 'none', require_pkce: true, application_type: 'native' } });
  });

  it('takes metadata from a file, with command-line options on top', async () => {
    const path = join(rig.dir, 'metadata.json');
    writeFileSync(path, JSON.stringify({ client_name: 'From file', redirect_uris: ['https://file.example/cb'], token_endpoint_auth_method: 'client_secret_post', require_pkce: true }));
    const added = await rig.cli(['clients', 'add', '--metadata', path, '--client-id', 'file-1', '--name', 'Overridden', '--no-require-pkce', '--json']);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ client_id: 'file-1', client_name: 'Overridden', token_endpoint_auth_method: 'client_secret_post', require_pkce: false });
  });

  it('reads a JWK Set file for a private_key_jwt client', async () => {
    const path = join(rig.dir, 'jwks.json');
    writeFileSync(path, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' }] }));
    const added = await rig.cli(['clients', 'add', '--auth-method', 'private_key_jwt', '--jwks', path, '--grant-type', 'client_credentials', '--json']);
    expect(added.code).toBe(0);
    const body = JSON.parse(added.stdout);
    expect(body.client_secret).toBeUndefined();
    expect(body.jwks.keys[0].kid).toBe('k1');
  });

  it('registers a FAPI 2.0 client with --profile fapi2, and refuses a profile the client contradicts', async () => {
    const path = join(rig.dir, 'fapi-jwks.json');
    writeFileSync(path, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' }] }));
    const added = await rig.cli(['clients', 'add', '--profile', 'fapi2', '--auth-method', 'private_key_jwt', '--jwks', path, '--redirect-uri', 'https://bank.example/cb', '--json']);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      profile: 'fapi2', require_pushed_authorization_requests: true, require_pkce: true, dpop_bound_access_tokens: true, authorization_code_lifetime: 60,
    });
    const refused = await rig.cli(['clients', 'add', '--profile', 'fapi2', '--redirect-uri', 'https://bank.example/cb']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('profile fapi2: token_endpoint_auth_method must be private_key_jwt');
  });

  it.each([
    [['clients', 'add', '--name', 'no redirect'], /^castellan: redirect_uris is required for the authorization_code grant$/],
    [['clients', 'add', '--redirect-uri', 'https://x.example/cb', '--client-secret', 'too-short'], /^castellan: client_secret must be at least 32 characters$/],
    [['clients', 'add', '--public', '--no-require-pkce', '--redirect-uri', 'https://x.example/cb'], /^castellan: require_pkce may be false only for confidential clients$/],
    [['clients', 'add', '--public', '--grant-type', 'client_credentials'], /^castellan: a public client cannot use client_credentials$/],
    [['clients', 'add', '--client-id', 'web-1', '--redirect-uri', 'https://x.example/cb'], /^castellan: client web-1 already exists$/],
    [['clients', 'add', '--redirect-uri', 'https://x.example/cb#frag'], /^castellan: redirect_uri must not contain a fragment$/],
    [['clients', 'add', '--grant-type', 'password'], /^castellan: option '--grant-type <type>' argument 'password' is invalid/],
    [['clients', 'add', '--auth-method', 'attest_jwt_client_auth'], /^castellan: option '--auth-method <method>' argument 'attest_jwt_client_auth' is invalid/],
    [['clients', 'add', '--metadata', '/nonexistent/metadata.json'], /^castellan: cannot read metadata file \/nonexistent\/metadata.json: ENOENT$/],
    [['clients', 'show', 'nobody'], /^castellan: client "nobody" not found$/],
    [['clients', 'remove', 'nobody'], /^castellan: client "nobody" not found$/],
  ])('exits 1 with a one-line message for %j', async (argv, message) => {
    const result = await rig.cli(argv as string[]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('removes a client and revokes every grant it holds', async () => {
    await rig.cli(['clients', 'add', '--client-id', 'doomed', '--grant-type', 'client_credentials']);
    const grantId = newId();
    await rig.withStores((stores) => stores.insertNewRows({ grants: [{
      id: grantId, clientId: 'doomed', userId: null, scope: '', claims: null, resource: null, authTime: null, acr: null, amr: null, sid: null,
      createdAt: 1, expiresAt: 4_000_000_000, revokedAt: null, revokedReason: null,
    }] }));
    const removed = await rig.cli(['clients', 'remove', 'doomed']);
    expect(removed).toMatchObject({ code: 0, stdout: 'Removed client doomed (1 grant revoked).\n' });
    const [client, grant] = await rig.withStores(async (stores) => [await stores.clients.find('doomed'), await stores.grants.find(grantId)] as const);
    expect(client).toBeUndefined();
    expect(grant).toMatchObject({ revokedReason: 'client_removed' });
    expect((await rig.cli(['clients', 'show', 'doomed'])).code).toBe(1);
  });

  it('sets per-client token lifetimes from ISO 8601 durations, and clients show gives each effective lifetime and its source', async () => {
    const added = await rig.cli(['clients', 'add', '--client-id', 'brief', '--redirect-uri', 'https://rp.example/cb', '--access-token-lifetime', 'PT15M', '--id-token-lifetime', 'PT2H']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const record = await rig.withStores((stores) => stores.clients.find('brief'));
    expect(record!.metadata).toMatchObject({ access_token_lifetime: 900, id_token_lifetime: 7200 });
    const shown = await rig.cli(['clients', 'show', 'brief']);
    expect(shown.stdout).toContain('900 s (this client)');
    expect(shown.stdout).toContain('3600 s (capped by the server maximum)');
    expect(shown.stdout).toContain('2592000 s (server default)');
    const json = JSON.parse((await rig.cli(['clients', 'show', 'brief', '--json'])).stdout);
    expect(json.effective_lifetimes.access_token).toEqual({ seconds: 900, source: 'client' });
    expect((await rig.cli(['clients', 'add', '--access-token-lifetime', '15 minutes'])).code).not.toBe(0);
  });

  it('refuses a redirect URI without a valid scheme, such as localhost:8080/cb', async () => {
    const refused = await rig.cli(['clients', 'add', '--client-id', 'no-scheme', '--redirect-uri', 'localhost:8080/cb']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('no valid scheme');
    expect(await rig.withStores((stores) => stores.clients.find('no-scheme'))).toBeUndefined();
  });

  it('adds a public device client without redirect URIs (RFC 8628), which can start a device authorization', async () => {
    const added = await rig.cli(['clients', 'add', '--client-id', 'tv-1', '--name', 'TV', '--grant-type', 'urn:ietf:params:oauth:grant-type:device_code', '--auth-method', 'none']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).not.toMatch(/client_secret:/);
    const record = await rig.withStores((stores) => stores.clients.find('tv-1'));
    expect(record!.metadata).toMatchObject({ redirect_uris: [], response_types: [], grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], token_endpoint_auth_method: 'none' });
    expect(record!.secretHash).toBeNull();
    // The record works at the endpoint: a device authorization for it succeeds.
    const { createTestContext } = await import('../support/test-context.js');
    const { createApp } = await import('../../src/server/app.js');
    const request = (await import('supertest')).default;
    const ctx = await createTestContext();
    try {
      await ctx.stores.clients.insert(record!);
      const response = await request(createApp(ctx)).post('/device_authorization').type('form').send({ client_id: 'tv-1', scope: 'openid' });
      expect(response.status, response.text).toBe(200);
      expect(response.body.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    } finally {
      await ctx.close();
    }
  });

  it('sets a token exchange policy with the --exchange-* options (short type names become URNs)', async () => {
    const added = await rig.cli(['clients', 'add', '--client-id', 'exchanger', '--grant-type', 'urn:ietf:params:oauth:grant-type:token-exchange',
      '--exchange-subject-type', 'access_token', '--exchange-subject-type', 'urn:ietf:params:oauth:token-type:jwt', '--exchange-subject-client', 'web-1',
      '--exchange-audience', 'https://api.example/', '--exchange-scope', 'orders:read', '--exchange-delegation']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const record = await rig.withStores((stores) => stores.clients.find('exchanger'));
    expect(record!.metadata.token_exchange).toEqual({
      subject_token_types: ['urn:ietf:params:oauth:token-type:access_token', 'urn:ietf:params:oauth:token-type:jwt'], subject_issuers: ['self'], subject_clients: ['web-1'],
      audiences: ['https://api.example/'], scopes: ['orders:read'], impersonation: false, delegation: true,
      actor_token_types: ['urn:ietf:params:oauth:token-type:access_token', 'urn:ietf:params:oauth:token-type:jwt'], actor_issuers: ['self'],
    });
  });

  it('refuses an unknown exchange token type and a policy without the grant type', async () => {
    expect((await rig.cli(['clients', 'add', '--exchange-subject-type', 'saml2'])).code).not.toBe(0);
    const refused = await rig.cli(['clients', 'add', '--grant-type', 'client_credentials', '--exchange-subject-type', 'jwt', '--exchange-audience', 'x', '--exchange-impersonation']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('token_exchange: needs the grant type');
  });
});
