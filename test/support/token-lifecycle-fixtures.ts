/**
 * Fixtures for introspection, revocation and resource indicator tests: an app with a few clients
 * and a user, tokens obtained through the real token endpoint, and form posts to /introspect and
 * /revoke through supertest.
 */
import type { Express } from 'express';
import request from 'supertest';
import type { Config } from '../../src/config/config.js';
import { createClient } from '../../src/clients/client-service.js';
import { createApp } from '../../src/server/app.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { createUser } from '../../src/users/user-service.js';
import { basic, issueCode, postToken, REDIRECT, SECRET } from './token-fixtures.js';
import { createTestContext, type TestContext } from './test-context.js';

export const API = 'https://api.example/';
export const CALENDAR = 'https://calendar.example/v1';
/** A resource server configured to receive JWT access tokens. */
export const JWT_API = 'urn:example:jwt-api';

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  expires_in: number;
}

export interface LifecycleRig {
  ctx: TestContext;
  app: Express;
  user: UserRecord;
  /** Tokens from the code grant (with a grant that may carry resources), issued to `clientId`. */
  codeTokens(clientId?: string, options?: { scope?: string; resource?: string[] | null; tokenResource?: string[] }): Promise<TokenSet>;
  /** Tokens from client credentials for `clientId`. */
  serviceTokens(clientId?: string, form?: Record<string, string | string[]>): Promise<TokenSet>;
  refresh(refreshToken: string, clientId?: string, form?: Record<string, string | string[]>): Promise<TokenSet>;
  introspect(form: Record<string, string | string[]>, clientId?: string): request.Test;
  revoke(form: Record<string, string | string[]>, clientId?: string): request.Test;
  close(): Promise<void>;
}

const encode = (form: Record<string, string | string[]>) => {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const v of [value].flat()) body.append(name, v);
  return body.toString();
};

export async function lifecycleRig(overrides: Partial<Config> = {}): Promise<LifecycleRig> {
  // The token endpoint's own limit is not under test here; many tokens come from one address.
  const ctx = await createTestContext({ jwtAccessTokenResources: [JWT_API], rateLimitToken: { points: 10_000, duration: 60 }, ...overrides });
  const app = createApp(ctx);
  const web = { client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], resources: [API, CALENDAR, JWT_API] };
  await createClient(ctx, { client_id: 'web', ...web });
  await createClient(ctx, { client_id: 'web-jwt', ...web, access_token_format: 'jwt' });
  await createClient(ctx, { client_id: 'other', ...web });
  await createClient(ctx, { client_id: 'public', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] });
  await createClient(ctx, { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'reports:read reports:write', resources: [API, JWT_API] });
  const user = await createUser(ctx, { username: 'erin', password: 'erin has a long password', claims: {} });

  const ok = (response: request.Response): TokenSet => {
    if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body as TokenSet;
  };
  const auth = (clientId: string): Record<string, string> => (clientId === 'public' ? {} : { authorization: basic(clientId, SECRET) });
  const publicId = (clientId: string): Record<string, string> => (clientId === 'public' ? { client_id: 'public' } : {});

  return {
    ctx,
    app,
    user,
    async codeTokens(clientId = 'web', options = {}) {
      const issued = await issueCode(ctx, { clientId, userId: user.id, scope: options.scope, grant: { resource: options.resource ?? null } });
      const form = { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier, resource: options.tokenResource, ...publicId(clientId) };
      return ok(await postToken(app, form, auth(clientId)));
    },
    async serviceTokens(clientId = 'svc', form = {}) {
      return ok(await postToken(app, { grant_type: 'client_credentials', ...form }, auth(clientId)));
    },
    async refresh(refreshToken, clientId = 'web', form = {}) {
      return ok(await postToken(app, { grant_type: 'refresh_token', refresh_token: refreshToken, ...form, ...publicId(clientId) }, auth(clientId)));
    },
    introspect(form, clientId = 'web') {
      return request(app).post('/introspect').type('form').set(auth(clientId)).send(encode({ ...form, ...publicId(clientId) }));
    },
    revoke(form, clientId = 'web') {
      return request(app).post('/revoke').type('form').set(auth(clientId)).send(encode({ ...form, ...publicId(clientId) }));
    },
    close: () => ctx.close(),
  };
}
