import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../../src/server/app.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import {
  authorizeThroughPages, authorizeUrl, browser, defaultParams, pkcePair, REDIRECT_URI, registerClient, registerUser,
} from '../support/browser-flow.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { postToken } from '../support/token-fixtures.js';

/** One scope policy from /authorize to the token response (src/rfc6749-oauth2/scope-policy.ts). */
describe(`RFC 6749 §3.3 scope from the authorization request to the token response (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  let client: ClientRecord;
  let limited: ClientRecord;
  let user: { username: string };
  let password: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    client = await registerClient(ctx, { grant_types: ['authorization_code', 'refresh_token'] });
    limited = await registerClient(ctx, { scope: 'profile' });
    ({ user, password } = await registerUser(ctx));
  });
  afterAll(() => ctx.close());

  async function tokensFor(target: ClientRecord, scope: string) {
    const pkce = pkcePair();
    const redirect = await authorizeThroughPages(browser(ctx), defaultParams(target, { scope, code_challenge: pkce.challenge }), user.username, password);
    const code = redirect.searchParams.get('code');
    expect(code).not.toBeNull();
    return postToken(app, { grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT_URI, code_verifier: pkce.verifier, client_id: target.clientId });
  }

  it('MUST show the granted scope in the token response when values were dropped at the authorization endpoint', async () => {
    const response = await tokensFor(client, 'openid profile unknown');
    expect(response.status).toBe(200);
    expect(response.body.scope).toBe('openid profile');
  });

  it('MUST show the granted scope when values the client may not have were dropped', async () => {
    const response = await tokensFor(limited, 'openid profile email');
    expect(response.status).toBe(200);
    expect(response.body.scope).toBe('openid profile');
  });

  it('MUST say in error_description which scope value was refused and why', async () => {
    const response = await browser(ctx).get(authorizeUrl(defaultParams(limited, { scope: 'email' }))).expect(303);
    const location = new URL(response.headers.location as string);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
    expect(location.searchParams.get('error_description')).toBe('no requested scope can be granted: email is not registered for this client');
  });

  it('MUST refuse a refresh beyond the original grant, naming the value', async () => {
    const first = await tokensFor(client, 'openid offline_access');
    const response = await postToken(app, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, scope: 'openid profile', client_id: client.clientId });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_scope', error_description: 'scope exceeds the original grant: profile was not granted by the resource owner', error_uri: expect.stringMatching(/\/errors\/invalid_scope\/RFC6749-6-2$/) });
  });
});
