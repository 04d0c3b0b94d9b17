/**
 * Per-client token lifetimes: the client's own value, else the server's, never above the server's
 * maximum; applied by every issuance (code, grant, access, refresh and ID token).
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectiveLifetime, validateLifetimes } from '../../src/clients/token-lifetimes.js';
import { createClient } from '../../src/clients/client-service.js';
import { loadConfig } from '../../src/config/config.js';
import { hashHandle } from '../../src/tokens/handles.js';
import type { ClientMetadata } from '../../src/storage/stores.js';
import { authorizeThroughPages, browser, defaultParams, pkcePair, REDIRECT_URI, registerClient, registerUser } from '../support/browser-flow.js';
import { basic, postToken, SECRET } from '../support/token-fixtures.js';
import { backendName, createTestContextWithApp, type TestContext } from '../support/test-context.js';

const metadata = (extra: Record<string, unknown>) => extra as unknown as ClientMetadata;

describe('per-client token lifetimes (src/clients/token-lifetimes.ts)', () => {
  const config = loadConfig({}, { databaseUrl: 'sqlite::memory:' });

  it('takes the client\'s value, else the server default', () => {
    expect(effectiveLifetime(config, metadata({ access_token_lifetime: 600 }), 'access_token')).toEqual({ seconds: 600, source: 'client' });
    expect(effectiveLifetime(config, metadata({}), 'access_token')).toEqual({ seconds: 3600, source: 'server' });
    expect(effectiveLifetime(config, metadata({}), 'authorization_code')).toEqual({ seconds: 600, source: 'server' });
  });

  it('caps a longer client value at the server maximum, which is the server lifetime unless raised', () => {
    expect(effectiveLifetime(config, metadata({ access_token_lifetime: 7200 }), 'access_token')).toEqual({ seconds: 3600, source: 'capped' });
    const raised = loadConfig({ ACCESS_TOKEN_TTL_MAX: 'PT2H' }, { databaseUrl: 'sqlite::memory:' });
    expect(effectiveLifetime(raised, metadata({ access_token_lifetime: 7200 }), 'access_token')).toEqual({ seconds: 7200, source: 'client' });
    expect(effectiveLifetime(raised, metadata({ access_token_lifetime: 9000 }), 'access_token')).toEqual({ seconds: 7200, source: 'capped' });
  });

  it('refuses a maximum shorter than the server lifetime at start', () => {
    expect(() => loadConfig({ REFRESH_TOKEN_TTL_MAX: 'P1D' }, { databaseUrl: 'sqlite::memory:' })).toThrow(/REFRESH_TOKEN_TTL_MAX must not be shorter than REFRESH_TOKEN_TTL/);
  });

  it('accepts whole seconds only', () => {
    expect(() => validateLifetimes({ id_token_lifetime: 300 })).not.toThrow();
    for (const bad of [0, -5, 1.5, '600', 11 * 366 * 86_400]) {
      expect(() => validateLifetimes({ refresh_token_lifetime: bad })).toThrow(/refresh_token_lifetime must be a whole number of seconds/);
    }
  });
});

describe(`per-client token lifetimes at issuance (${backendName})`, () => {
  let ctx: TestContext;
  let app: Awaited<ReturnType<typeof createTestContextWithApp>>['app'];
  beforeAll(async () => {
    ({ ctx, app } = await createTestContextWithApp({ rateLimitEnabled: false, refreshTokenTtlMax: 90 * 86_400 }));
  });
  afterAll(() => ctx.close());

  it('client credentials: expires_in is the client\'s access token lifetime, capped by the server', async () => {
    await createClient(ctx, { client_id: 'short-lived', client_secret: SECRET, grant_types: ['client_credentials'], access_token_lifetime: 300 });
    await createClient(ctx, { client_id: 'greedy', client_secret: SECRET, grant_types: ['client_credentials'], access_token_lifetime: 86_400 });
    const short = await postToken(app, { grant_type: 'client_credentials' }, { authorization: basic('short-lived', SECRET) });
    expect(short.status, short.text).toBe(200);
    expect(short.body.expires_in).toBe(300);
    const capped = await postToken(app, { grant_type: 'client_credentials' }, { authorization: basic('greedy', SECRET) });
    expect(capped.body.expires_in).toBe(ctx.config.accessTokenTtl);
  });

  it('code flow: the code, the grant, the access, refresh and ID tokens follow the client\'s lifetimes', async () => {
    const client = await registerClient(ctx, {
      grant_types: ['authorization_code', 'refresh_token'],
      access_token_lifetime: 900, refresh_token_lifetime: 7 * 86_400, id_token_lifetime: 120, authorization_code_lifetime: 30,
      access_token_format: 'jwt',
    });
    const { user, password } = await registerUser(ctx);
    const { verifier, challenge } = pkcePair();
    const redirect = await authorizeThroughPages(browser(ctx), defaultParams(client, { scope: 'openid offline_access', code_challenge: challenge, prompt: 'consent' }), user.username, password);
    const code = redirect.searchParams.get('code')!;
    const now = ctx.clock();
    const stored = await ctx.stores.codes.findWithGrant(hashHandle(code));
    expect(stored!.token.expiresAt - now).toBe(30);
    expect(stored!.grant!.expiresAt - now).toBe(7 * 86_400);

    const tokens = await postToken(app, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, client_id: client.clientId });
    expect(tokens.status, tokens.text).toBe(200);
    expect(tokens.body.expires_in).toBe(900);
    const idToken = decodeJwt(tokens.body.id_token as string);
    expect(idToken.exp! - idToken.iat!).toBe(120);
    const accessToken = decodeJwt(tokens.body.access_token as string);
    expect(accessToken.exp! - accessToken.iat!).toBe(900);
    const refresh = await ctx.stores.refreshTokens.find(hashHandle(tokens.body.refresh_token as string));
    expect(refresh!.expiresAt - now).toBe(7 * 86_400);
  });

  it('a code past the client\'s shorter code lifetime is refused', async () => {
    const client = await registerClient(ctx, { authorization_code_lifetime: 30 });
    const { user, password } = await registerUser(ctx);
    const { verifier, challenge } = pkcePair();
    const redirect = await authorizeThroughPages(browser(ctx), defaultParams(client, { code_challenge: challenge }), user.username, password);
    ctx.clock.advance(31);
    const tokens = await postToken(app, { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, redirect_uri: REDIRECT_URI, code_verifier: verifier, client_id: client.clientId });
    expect(tokens.status).toBe(400);
    expect(tokens.body).toMatchObject({ error: 'invalid_grant', error_description: 'the authorization code has expired' });
  });
});
