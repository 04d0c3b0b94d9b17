import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createClient } from '../../src/clients/client-service.js';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { clientCredentialsGrant } from '../../src/rfc6749-oauth2/client-credentials-grant.js';
import { createApp } from '../../src/server/app.js';
import { resolveAccessToken } from '../../src/tokens/access-token.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic, postToken, REDIRECT, SECRET, storedState } from '../support/token-fixtures.js';

describe(`RFC 6749 §4.4 client credentials grant (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  const issue = (clientId: string, scope?: string) => postToken(app, { grant_type: 'client_credentials', scope }, { authorization: basic(clientId, SECRET) });

  async function expectUnchanged(send: () => PromiseLike<{ status: number; body: { error?: string } }>, status: number, error: string) {
    const before = await storedState(ctx);
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.body.error).toBe(error);
    expect(await storedState(ctx)).toEqual(before);
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    await createClient(ctx, { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'api:read api:write openid' });
    await createClient(ctx, { client_id: 'open', client_secret: SECRET, grant_types: ['client_credentials'] });
    await createClient(ctx, { client_id: 'svc-jwt', client_secret: SECRET, grant_types: ['client_credentials'], access_token_format: 'jwt' });
    await createClient(ctx, { client_id: 'web', client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['authorization_code'] });
  });
  afterAll(() => ctx.close());

  it('MUST issue an access token only: no refresh token (§4.4.3) and no ID token', async () => {
    const response = await issue('svc', 'api:read');
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: ctx.config.accessTokenTtl, scope: 'api:read' });
    expect(response.body.refresh_token).toBeUndefined();
    expect(response.body.id_token).toBeUndefined();
  });

  it('records a grant without a user, so revoking everything of a client covers these tokens', async () => {
    const response = await issue('svc', 'api:write');
    const active = await resolveAccessToken(ctx, response.body.access_token);
    expect(active?.grant).toMatchObject({ clientId: 'svc', userId: null, scope: 'api:write', revokedAt: null });
    await ctx.stores.grants.revokeByClient('svc', 'incident', ctx.clock());
    expect(await resolveAccessToken(ctx, response.body.access_token)).toBeUndefined();
    const [event] = await ctx.stores.audit.list({ type: 'token.issued', clientId: 'svc', limit: 1 });
    expect(event.details).toMatchObject({ grant_type: 'client_credentials', grant_id: active?.grant.id });
  });

  it('uses the registered scope, without user scopes, when none is requested (§3.3)', async () => {
    const response = await issue('svc');
    expect(response.status).toBe(200);
    expect(response.body.scope).toBe('api:read api:write');
  });

  it('MUST show the granted scope in the response when values outside the registered scope were dropped (§3.3)', async () => {
    const response = await issue('svc', 'api:read admin openid');
    expect(response.status).toBe(200);
    expect(response.body.scope).toBe('api:read');
    expect((await resolveAccessToken(ctx, response.body.access_token))?.record.scope).toBe('api:read');
  });

  it('accepts any well-formed scope from a client with no registered scope', async () => {
    const response = await issue('open', 'reports export');
    expect(response.status).toBe(200);
    expect(response.body.scope).toBe('reports export');
  });

  it('issues an RFC 9068 JWT access token with the client as subject when registered', async () => {
    const response = await issue('svc-jwt', 'anything');
    const claims = decodeJwt(response.body.access_token);
    expect(claims).toMatchObject({ sub: 'svc-jwt', client_id: 'svc-jwt', scope: 'anything', iss: ctx.config.issuer });
    expect(claims.auth_time).toBeUndefined();
  });

  describe('refusals leave everything unchanged', () => {
    it('MUST reject a scope of which nothing is registered for the client with invalid_scope', () => expectUnchanged(() => issue('svc', 'admin'), 400, 'invalid_scope'));
    it('MUST reject openid, which needs an end-user', () => expectUnchanged(() => issue('svc', 'openid'), 400, 'invalid_scope'));
    it('MUST reject offline_access, which needs an end-user', () => expectUnchanged(() => issue('open', 'offline_access'), 400, 'invalid_scope'));
    it('MUST reject a malformed scope with invalid_request', () => expectUnchanged(() => issue('open', 'a\\b'), 400, 'invalid_request'));
    it('MUST reject a repeated scope parameter with invalid_request', () =>
      expectUnchanged(() => postToken(app, { grant_type: 'client_credentials', scope: ['a', 'b'] }, { authorization: basic('open', SECRET) }), 400, 'invalid_request'));
    it('MUST refuse a client not registered for client_credentials with unauthorized_client', () => expectUnchanged(() => issue('web'), 400, 'unauthorized_client'));
  });

  it('MUST refuse a public client even if its metadata slipped through (second line of defence)', async () => {
    const { record } = await createClient(ctx, { client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT] });
    const forged = { ...record, metadata: { ...record.metadata, grant_types: ['client_credentials'] } };
    const error = await clientCredentialsGrant.handle(ctx, {}, forged, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).code).toBe('unauthorized_client');
  });
});
