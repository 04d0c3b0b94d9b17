/**
 * Drives the authorization code flow the way a browser does, with supertest and a cookie jar:
 * /authorize -> login page -> consent page -> redirect back to the client.
 */
import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createApp } from '../../src/server/app.js';
import type { Context } from '../../src/server/context.js';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { createUser } from '../../src/users/user-service.js';

export type Agent = ReturnType<typeof request.agent>;

export const REDIRECT_URI = 'https://client.example/cb';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function registerClient(ctx: Context, metadata: Record<string, unknown> = {}): Promise<ClientRecord> {
  const { record } = await createClient(ctx, {
    client_name: 'Example App',
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'none',
    ...metadata,
  });
  return record;
}

let userCounter = 0;

export async function registerUser(ctx: Context, claims: Record<string, unknown> = {}): Promise<{ user: UserRecord; password: string }> {
  const password = 'correct horse battery staple';
  userCounter += 1;
  const user = await createUser(ctx, { username: `alice${userCounter}-${randomBytes(3).toString('hex')}`, password, claims });
  return { user, password };
}

export function browser(ctx: Context): Agent {
  return request.agent(createApp(ctx));
}

/** Query string for /authorize with sensible defaults; `undefined` values are left out. */
export function authorizeUrl(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.append(name, value);
  return `/authorize?${query.toString()}`;
}

export function defaultParams(client: ClientRecord, overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile',
    state: 'af0ifjsldkj',
    nonce: 'n-0S6_WzA2Mj',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
}

export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  expect(match, 'page has a csrf field').not.toBeNull();
  return match![1];
}

/** Path and query of a Location header (the issuer's host is not the test server's). */
export function pathOf(location: string): string {
  const url = new URL(location, 'http://placeholder');
  return url.pathname + url.search;
}

export async function submitLogin(agent: Agent, loginPath: string, username: string, password: string) {
  const page = await agent.get(loginPath).expect(200);
  return agent.post(loginPath).type('form').send({ csrf: csrfOf(page.text), username, password });
}

export async function submitConsent(agent: Agent, consentPath: string, decision: 'approve' | 'deny') {
  const page = await agent.get(consentPath).expect(200);
  return agent.post(consentPath).type('form').send({ csrf: csrfOf(page.text), decision });
}

/** The whole flow from /authorize to the redirect; returns the final redirect's URL. */
export async function authorizeThroughPages(agent: Agent, params: Record<string, string | undefined>, username: string, password: string): Promise<URL> {
  const start = await agent.get(authorizeUrl(params)).expect(303);
  let location = start.headers.location as string;
  if (location.endsWith('/login')) {
    const login = await submitLogin(agent, pathOf(location), username, password);
    expect(login.status).toBe(303);
    location = login.headers.location as string;
  }
  if (location.endsWith('/consent')) {
    const consent = await submitConsent(agent, pathOf(location), 'approve');
    expect(consent.status).toBe(303);
    location = consent.headers.location as string;
  }
  return new URL(location);
}
