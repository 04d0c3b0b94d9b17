/**
 * Back-Channel Logout §2.5 and §2.8: delivery of logout tokens to a real RP endpoint on 127.0.0.1,
 * the durable queue with bounded retries and backoff, and the SSRF policy of production mode.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { settleDeliveries, startLogoutDeliveryWorker } from '../../src/oidc-back-channel-logout/delivery-worker.js';
import { deliverDue, enqueueBackChannelLogouts, MAX_ATTEMPTS, RETRY_BACKOFF } from '../../src/oidc-back-channel-logout/sender.js';
import { providerMetadata } from '../../src/oidc-discovery/provider-metadata.js';
import type { ClientRecord, GrantRecord } from '../../src/storage/stores.js';
import { newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { logoutTokenOf, startRpServer, type RpServer } from './rp-server.js';

const SECRET = 'back-channel-sender-test-secret-0123456789';

function grantFor(ctx: TestContext, clientId: string, sid: string, userId = 'user-1'): GrantRecord {
  const now = ctx.clock();
  return {
    id: newId(), clientId, userId, scope: 'openid', claims: null, resource: null, authTime: now, acr: null, amr: ['pwd'], sid,
    createdAt: now, expiresAt: now + 3600, revokedAt: null, revokedReason: null,
  };
}

async function enqueue(ctx: TestContext, clientIds: string[], sid = newId()): Promise<string[]> {
  return ctx.stores.transaction((tx) => enqueueBackChannelLogouts(ctx, sid, clientIds.map((id) => grantFor(ctx, id, sid)), tx));
}

async function pending(ctx: TestContext): Promise<number> {
  return Number((await ctx.knex('logout_deliveries').count<{ n: number }[]>({ n: '*' }))[0].n);
}

describe(`Back-Channel Logout §2.5 delivery (${backendName})`, () => {
  let ctx: TestContext;
  let rp: RpServer;
  let client: ClientRecord;

  beforeAll(async () => {
    ctx = await createTestContext();
    rp = await startRpServer();
    client = (await createClient(ctx, {
      client_id: 'bc-client', client_secret: SECRET, redirect_uris: ['https://rp.example/cb'], backchannel_logout_uri: `${rp.origin}/backchannel_logout`,
    })).record;
  });
  afterEach(async () => {
    rp.received.length = 0;
    rp.respond = () => ({ status: 200 });
    await ctx.knex('logout_deliveries').delete();
  });
  afterAll(async () => {
    await rp.close();
    await ctx.close();
  });

  it('advertises back-channel logout with sid support in the provider metadata', () => {
    expect(providerMetadata(ctx.config)).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
  });

  it('queues one delivery per client with a grant in the session, only for clients with a backchannel_logout_uri', async () => {
    await createClient(ctx, { client_id: 'no-bc', client_secret: SECRET, redirect_uris: ['https://rp.example/cb'] });
    const ids = await enqueue(ctx, ['bc-client', 'bc-client', 'no-bc']);
    expect(ids).toHaveLength(1);
    expect(await pending(ctx)).toBe(1);
  });

  it('MUST POST logout_token form-encoded; the token verifies with the published keys and names sub and sid', async () => {
    const sid = newId();
    await enqueue(ctx, ['bc-client'], sid);
    expect(await deliverDue(ctx)).toEqual({ delivered: 1, retried: 0, failed: 0 });
    const [request] = rp.received;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/backchannel_logout');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect([...new URLSearchParams(request.body).keys()]).toEqual(['logout_token']);
    const { payload } = await jwtVerify(logoutTokenOf(request), createLocalJWKSet(await ctx.keystore.jwks()), { issuer: ctx.config.issuer, audience: 'bc-client', typ: 'logout+jwt' });
    expect(payload).toMatchObject({ sub: 'user-1', sid });
    expect(await pending(ctx)).toBe(0);
    const [event] = await ctx.stores.audit.list({ type: 'logout.backchannel_delivered', clientId: 'bc-client', limit: 1 });
    expect(event.details).toMatchObject({ sid, attempts: 1 });
  });

  it('accepts 204 No Content as success (§2.8)', async () => {
    rp.respond = () => ({ status: 204 });
    await enqueue(ctx, ['bc-client']);
    expect(await deliverDue(ctx)).toMatchObject({ delivered: 1 });
  });

  it('retries a failed delivery with growing backoff, with a fresh token each time, then succeeds', async () => {
    rp.respond = () => ({ status: 503 });
    const [id] = await enqueue(ctx, ['bc-client']);
    const before = ctx.clock();
    expect(await deliverDue(ctx)).toEqual({ delivered: 0, retried: 1, failed: 0 });
    const first = (await ctx.stores.logoutDeliveries.find(id))!;
    expect(first).toMatchObject({ attempts: 1, lastError: 'the client answered 503' });
    expect(first.nextAttemptAt - RETRY_BACKOFF[0]).toBeGreaterThanOrEqual(before);
    expect(first.nextAttemptAt - RETRY_BACKOFF[0]).toBeLessThanOrEqual(ctx.clock());
    // Not due before the backoff has passed.
    expect(await deliverDue(ctx)).toEqual({ delivered: 0, retried: 0, failed: 0 });
    ctx.clock.advance(RETRY_BACKOFF[0]);
    rp.respond = () => ({ status: 200 });
    expect(await deliverDue(ctx)).toMatchObject({ delivered: 1 });
    expect(rp.received).toHaveLength(2);
    expect(logoutTokenOf(rp.received[0])).not.toBe(logoutTokenOf(rp.received[1]));
    expect(await ctx.stores.logoutDeliveries.find(id)).toBeUndefined();
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts and records the failure`, async () => {
    rp.respond = () => ({ status: 500 });
    const [id] = await enqueue(ctx, ['bc-client']);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const run = await deliverDue(ctx);
      if (attempt < MAX_ATTEMPTS) {
        expect(run.retried).toBe(1);
        ctx.clock.advance(RETRY_BACKOFF[attempt - 1]);
      } else expect(run.failed).toBe(1);
    }
    expect(rp.received).toHaveLength(MAX_ATTEMPTS);
    expect(await ctx.stores.logoutDeliveries.find(id)).toBeUndefined();
    const [event] = await ctx.stores.audit.list({ type: 'logout.backchannel_failed', clientId: 'bc-client', limit: 1 });
    expect(event.details).toMatchObject({ deliveryId: id, attempts: MAX_ATTEMPTS });
  });

  it('does not retry when the RP rejects the token with 400 (§2.8)', async () => {
    rp.respond = () => ({ status: 400 });
    await enqueue(ctx, ['bc-client']);
    expect(await deliverDue(ctx)).toEqual({ delivered: 0, retried: 0, failed: 1 });
    expect(await pending(ctx)).toBe(0);
  });

  it('never follows a redirect from the RP endpoint', async () => {
    rp.respond = (request) => (request.path === '/backchannel_logout' ? { status: 307, headers: { location: `${rp.origin}/elsewhere` } } : { status: 200 });
    await enqueue(ctx, ['bc-client']);
    expect(await deliverDue(ctx)).toMatchObject({ delivered: 0, retried: 1 });
    expect(rp.received.map((r) => r.path)).toEqual(['/backchannel_logout']);
  });

  it('posts a delivery once even when two runs (two nodes) race for it', async () => {
    await enqueue(ctx, ['bc-client']);
    const runs = await Promise.all([deliverDue(ctx), deliverDue(ctx)]);
    expect(runs.reduce((sum, run) => sum + run.delivered, 0)).toBe(1);
    expect(rp.received).toHaveLength(1);
  });

  it('keeps pending deliveries in the database: a worker started later (after a restart) sends them', async () => {
    // Written as a previous node would have left it, due a while ago.
    await ctx.stores.logoutDeliveries.insert({
      id: newId(), clientId: 'bc-client', userId: 'user-9', sid: 'sid-9', attempts: 2, nextAttemptAt: ctx.clock() - 30, createdAt: ctx.clock() - 600, lastError: 'timed out',
    });
    const stop = startLogoutDeliveryWorker(ctx, 60_000);
    await rp.waitFor(1);
    await stop();
    await settleDeliveries(ctx);
    expect(await pending(ctx)).toBe(0);
  });

  it('drops a delivery whose client was removed meanwhile', async () => {
    await createClient(ctx, { client_id: 'short-lived', client_secret: SECRET, redirect_uris: ['https://rp.example/cb'], backchannel_logout_uri: `${rp.origin}/gone` });
    await enqueue(ctx, ['short-lived']);
    await ctx.stores.clients.remove('short-lived');
    expect(await deliverDue(ctx)).toMatchObject({ failed: 1 });
    expect(rp.received).toHaveLength(0);
  });

  it('uses the client record it was given', () => {
    expect(client.metadata.backchannel_logout_uri).toBe(`${rp.origin}/backchannel_logout`);
  });
});

describe(`Back-Channel Logout: SSRF policy in production mode (${backendName})`, () => {
  let ctx: TestContext;
  let rp: RpServer;

  beforeAll(async () => {
    ctx = await createTestContext({ production: true, issuer: 'https://op.example' });
    rp = await startRpServer();
  });
  afterAll(async () => {
    await rp.close();
    await ctx.close();
  });

  /** A client stored as-is (as if registered before the policy, or with a name that now resolves privately). */
  async function storedClient(clientId: string, uri: string): Promise<void> {
    const now = ctx.clock();
    await ctx.stores.clients.insert({
      clientId, secretHash: null, secretEncrypted: null, registrationTokenHash: null, createdAt: now, updatedAt: now,
      metadata: {
        redirect_uris: ['https://rp.example/cb'], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none',
        application_type: 'web', require_pkce: true, backchannel_logout_uri: uri,
      },
    });
  }

  const port = () => new URL(rp.origin).port;
  // Only loopback targets are tried at delivery time: were the policy ever broken, nothing would leave this machine.
  const loopback = [
    ['loopback IPv4', () => `https://127.0.0.1:${port()}/backchannel_logout`],
    ['loopback IPv6', () => `https://[::1]:${port()}/backchannel_logout`],
    ['IPv4-mapped loopback', () => `https://[::ffff:127.0.0.1]:${port()}/backchannel_logout`],
    ['plain http', () => 'http://rp.example/backchannel_logout'],
  ] as const;
  const privateRanges = [
    ['private 10/8', () => 'https://10.0.0.1/backchannel_logout'],
    ['private 192.168/16', () => 'https://192.168.1.10/backchannel_logout'],
    ['private 172.16/12', () => 'https://172.16.5.4/backchannel_logout'],
    ['link-local metadata address', () => 'https://169.254.169.254/latest/meta-data'],
  ] as const;

  for (const [label, uri] of [...loopback, ...privateRanges]) {
    it(`refuses to register a backchannel_logout_uri at a ${label} address`, async () => {
      await expect(createClient(ctx, { redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'none', backchannel_logout_uri: uri() }))
        .rejects.toMatchObject({ code: 'invalid_client_metadata' });
    });
  }

  for (const [label, uri] of loopback) {
    it(`never contacts a stored backchannel_logout_uri at a ${label} address, and gives up at once`, async () => {
      const clientId = `stored-${label.replace(/\W+/g, '-')}`;
      await storedClient(clientId, uri());
      await ctx.stores.transaction((tx) => enqueueBackChannelLogouts(ctx, 'sid-x', [grantFor(ctx, clientId, 'sid-x')], tx));
      expect(await deliverDue(ctx)).toMatchObject({ delivered: 0, failed: 1 });
      const [event] = await ctx.stores.audit.list({ type: 'logout.backchannel_failed', clientId, limit: 1 });
      expect(event.details).toMatchObject({ error: expect.stringMatching(/not allowed/) });
    });
  }

  it('refuses a host name that resolves to loopback (checked after DNS resolution)', async () => {
    await storedClient('named-loopback', `https://localhost:${port()}/backchannel_logout`);
    await ctx.stores.transaction((tx) => enqueueBackChannelLogouts(ctx, 'sid-y', [grantFor(ctx, 'named-loopback', 'sid-y')], tx));
    expect(await deliverDue(ctx)).toMatchObject({ delivered: 0 });
    const row = (await ctx.stores.logoutDeliveries.due(ctx.clock() + 3600, 10)).find((d) => d.clientId === 'named-loopback');
    expect(row?.lastError).toMatch(/forbidden address/);
  });

  it('sent nothing to the loopback RP in production mode', () => {
    expect(rp.received).toHaveLength(0);
  });
});
