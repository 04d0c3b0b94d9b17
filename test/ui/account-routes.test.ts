/**
 * The account page: a signed-in user sees the clients they consented to and withdraws one; the
 * remembered consent goes (silent authentication now answers consent_required) and every grant of
 * that user to that client is revoked, offline_access included. CSRF-checked, 303 after POST.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createApp } from '../../src/server/app.js';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { NO_CONSENTS_TEXT, NOT_SIGNED_IN_TEXT } from '../../src/ui/consents-page.js';
import {
  authorizeThroughPages, authorizeUrl, browser, csrfOf, defaultParams, pkcePair, REDIRECT_URI, registerUser, type Agent,
} from '../support/browser-flow.js';
import { basic } from '../support/token-fixtures.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const SECRET = 'account-routes-test-secret-0123456789abcdef';

describe(`account page: consents the user can revoke (${backendName})`, () => {
  let ctx: TestContext;
  let photos: ClientRecord;
  let notes: ClientRecord;
  let alice: { user: UserRecord; password: string };

  beforeAll(async () => {
    ctx = await createTestContext();
    const metadata = { client_secret: SECRET, redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'] };
    photos = (await createClient(ctx, { ...metadata, client_id: 'photos', client_name: 'Photo <Printer>' })).record;
    notes = (await createClient(ctx, { ...metadata, client_id: 'notes', client_name: 'Notes' })).record;
    alice = await registerUser(ctx);
  });
  afterAll(() => ctx.close());

  async function consentTo(agent: Agent, client: ClientRecord, scope: string): Promise<{ refresh_token?: string; access_token: string }> {
    const { verifier, challenge } = pkcePair();
    const url = await authorizeThroughPages(agent, defaultParams(client, { scope, code_challenge: challenge }), alice.user.username, alice.password);
    const res = await agent.post('/token').set('Authorization', basic(client.clientId, SECRET)).type('form')
      .send({ grant_type: 'authorization_code', code: url.searchParams.get('code')!, redirect_uri: REDIRECT_URI, code_verifier: verifier }).expect(200);
    return res.body;
  }

  async function silent(agent: Agent, client: ClientRecord, scope: string): Promise<string> {
    const res = await agent.get(authorizeUrl(defaultParams(client, { prompt: 'none', scope }))).expect(303);
    const params = new URL(res.headers.location).searchParams;
    return params.get('error') ?? (params.get('code') ? 'code' : 'nothing');
  }

  it('without a session shows the not-signed-in page (401) and revokes nothing', async () => {
    const app = request(createApp(ctx));
    const page = await app.get('/account/consents').expect(401);
    expect(page.text).toContain(NOT_SIGNED_IN_TEXT);
    await app.post('/account/consents/revoke').type('form').send({ client_id: 'photos' }).expect(403);
  });

  it('lists nothing for a user who consented to nothing yet', async () => {
    const agent = browser(ctx);
    // Sign in, then deny consent: a session exists, no consent is remembered.
    const start = await agent.get(authorizeUrl(defaultParams(notes, { scope: 'openid' }))).expect(303);
    const loginPath = new URL(start.headers.location, 'http://x').pathname;
    const login = await agent.get(loginPath).expect(200);
    await agent.post(loginPath).type('form').send({ csrf: csrfOf(login.text), username: alice.user.username, password: alice.password }).expect(303);
    const page = await agent.get('/account/consents').expect(200);
    expect(page.text).toContain(NO_CONSENTS_TEXT);
  });

  it('lists each consented client with its scopes, escaped, and a revoke form per client', async () => {
    const agent = browser(ctx);
    await consentTo(agent, photos, 'openid profile');
    await consentTo(agent, notes, 'openid email');
    const page = await agent.get('/account/consents').expect(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('Photo &lt;Printer&gt;');
    expect(page.text).toContain('data-client-id="photos"');
    expect(page.text).toContain('data-client-id="notes"');
    expect(page.text).toContain('data-scope="email"');
    expect(page.text.match(/<button type="submit" class="revoke secondary">/g)).toHaveLength(2);
  });

  it("revoking consent removes it and revokes that client's grants, offline_access included; other clients keep theirs", async () => {
    const agent = browser(ctx);
    const offline = await consentTo(agent, photos, 'openid offline_access');
    await consentTo(agent, notes, 'openid');
    expect(await silent(agent, photos, 'openid')).toBe('code');
    const page = await agent.get('/account/consents').expect(200);
    const revoke = await agent.post('/account/consents/revoke').type('form').send({ csrf: csrfOf(page.text), client_id: 'photos' }).expect(303);
    expect(revoke.headers.location).toBe('/account/consents');
    expect(await ctx.stores.consents.find(alice.user.id, 'photos')).toBeUndefined();
    expect(await silent(agent, photos, 'openid')).toBe('consent_required');
    expect(await silent(agent, notes, 'openid')).toBe('code');
    const refresh = await request(createApp(ctx)).post('/token').set('Authorization', basic('photos', SECRET)).type('form')
      .send({ grant_type: 'refresh_token', refresh_token: offline.refresh_token! });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    const [event] = await ctx.stores.audit.list({ type: 'consent.revoked', userId: alice.user.id, limit: 1 });
    expect(event.clientId).toBe('photos');
    const after = await agent.get('/account/consents').expect(200);
    expect(after.text).not.toContain('data-client-id="photos"');
  });

  it('queues a back-channel logout for the revoked client when it registered one, per session', async () => {
    const listening = (await createClient(ctx, {
      client_id: 'listening', client_secret: SECRET, redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code'],
      backchannel_logout_uri: 'https://rp.example/backchannel',
    })).record;
    const agent = browser(ctx);
    await consentTo(agent, listening, 'openid');
    const page = await agent.get('/account/consents').expect(200);
    await agent.post('/account/consents/revoke').type('form').send({ csrf: csrfOf(page.text), client_id: 'listening' }).expect(303);
    const queued = (await ctx.stores.logoutDeliveries.due(ctx.clock() + 1, 100)).filter((d) => d.clientId === 'listening');
    expect(queued).toHaveLength(1);
    expect(queued[0].userId).toBe(alice.user.id);
    const [event] = await ctx.stores.audit.list({ type: 'consent.revoked', clientId: 'listening', limit: 1 });
    expect(event.details).toMatchObject({ revokedGrants: 1, backchannelDeliveries: 1 });
  });

  it('MUST reject a revocation without a valid form token (CSRF) and keep the consent', async () => {
    const agent = browser(ctx);
    await consentTo(agent, notes, 'openid');
    await agent.post('/account/consents/revoke').type('form').send({ client_id: 'notes' }).expect(403);
    await agent.post('/account/consents/revoke').type('form').send({ csrf: 'v1.x.y.z', client_id: 'notes' }).expect(403);
    expect(await ctx.stores.consents.find(alice.user.id, 'notes')).toBeDefined();
  });

  it("MUST reject a form token from another session (another user's page)", async () => {
    const bob = await registerUser(ctx);
    const other = browser(ctx);
    const { verifier: _v, challenge } = pkcePair();
    await authorizeThroughPages(other, defaultParams(notes, { scope: 'openid', code_challenge: challenge }), bob.user.username, bob.password);
    const bobsPage = await other.get('/account/consents').expect(200);
    const agent = browser(ctx);
    await consentTo(agent, notes, 'openid');
    await agent.post('/account/consents/revoke').type('form').send({ csrf: csrfOf(bobsPage.text), client_id: 'notes' }).expect(403);
    expect(await ctx.stores.consents.find(alice.user.id, 'notes')).toBeDefined();
  });

  it('answers a revocation of a client without consent with the same redirect, changing nothing', async () => {
    const agent = browser(ctx);
    await consentTo(agent, notes, 'openid');
    const page = await agent.get('/account/consents').expect(200);
    const before = await ctx.stores.audit.list({ type: 'consent.revoked', limit: 100 });
    await agent.post('/account/consents/revoke').type('form').send({ csrf: csrfOf(page.text), client_id: 'unknown-client' }).expect(303);
    expect(await ctx.stores.audit.list({ type: 'consent.revoked', limit: 100 })).toHaveLength(before.length);
  });
});
