/**
 * A Castellan with a confidential and a public client for pushed authorization requests, driven
 * over HTTP with supertest: pushing a request, following its request_uri through the real pages,
 * and redeeming the code.
 */
import request from 'supertest';
import { expect } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import type { Config } from '../../src/config/config.js';
import { createApp } from '../../src/server/app.js';
import { authorizeThroughPages, browser, pkcePair, REDIRECT_URI, registerUser } from '../support/browser-flow.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

export const SECRET = 'par-suite-secret-0123456789abcdefghijklmn';
export const basic = (id: string, secret = SECRET) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

export interface ParRig {
  ctx: TestContext;
  app: ReturnType<typeof createApp>;
  username: string;
  password: string;
}

export async function parRig(overrides: Partial<Config> = {}): Promise<ParRig> {
  const ctx = await createTestContext({ rateLimitToken: { points: 10_000, duration: 60 }, rateLimitAuthorization: { points: 10_000, duration: 60 }, ...overrides });
  const code = { redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'] };
  await createClient(ctx, { client_id: 'web', client_secret: SECRET, ...code });
  await createClient(ctx, { client_id: 'other', client_secret: SECRET, ...code });
  await createClient(ctx, { client_id: 'spa', token_endpoint_auth_method: 'none', ...code });
  await createClient(ctx, { client_id: 'par-only', client_secret: SECRET, require_pushed_authorization_requests: true, ...code });
  const { user, password } = await registerUser(ctx);
  return { ctx, app: createApp(ctx), username: user.username, password };
}

/** Authorization request parameters with a fresh S256 challenge; the verifier rides along. */
export function pushedParams(clientId: string, overrides: Record<string, string> = {}) {
  const pkce = pkcePair();
  return {
    verifier: pkce.verifier,
    params: { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'openid', state: 'pushed-state', code_challenge: pkce.challenge, code_challenge_method: 'S256', ...overrides } as Record<string, string>,
  };
}

export function push(rig: ParRig, form: Record<string, string>, headers: Record<string, string> = {}) {
  const req = request(rig.app).post('/par').type('form');
  for (const [name, value] of Object.entries(headers)) req.set(name, value);
  return req.send(form);
}

/** Pushes `form` as the confidential client `clientId` (Basic) and returns the request_uri. */
export async function pushedRequestUri(rig: ParRig, clientId: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<string> {
  const auth: Record<string, string> = clientId === 'spa' ? {} : { authorization: basic(clientId) };
  const response = await push(rig, form, { ...auth, ...headers });
  expect(response.status, response.text).toBe(201);
  return response.body.request_uri as string;
}

/** Follows /authorize?client_id&request_uri through login and consent; the redirect back to the client. */
export function authorizeWithRequestUri(rig: ParRig, clientId: string, requestUri: string, extra: Record<string, string> = {}): Promise<URL> {
  return authorizeThroughPages(browser(rig.ctx), { client_id: clientId, request_uri: requestUri, ...extra }, rig.username, rig.password);
}

export function redeem(rig: ParRig, clientId: string, code: string, verifier: string, headers: Record<string, string> = {}) {
  const req = request(rig.app).post('/token').type('form').set('authorization', basic(clientId));
  for (const [name, value] of Object.entries(headers)) req.set(name, value);
  return req.send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
}
