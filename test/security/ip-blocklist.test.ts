/**
 * Blocked addresses: refused with 403 access_denied at every endpoint (an HTML page for a browser),
 * audited, matched by CIDR, lifted on expiry or unblock, and seen by another node within
 * STATE_REFRESH_SECONDS.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10
 * @spec https://www.rfc-editor.org/rfc/rfc7239#section-8.1 (the address is the trusted one, not any header)
 */
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { blockIp, normalizeBlockEntry, STATE_REFRESH_SECONDS, unblockIp } from '../../src/security/ip-blocklist.js';
import { createApp } from '../../src/server/app.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { EVERY_ENDPOINT } from './every-endpoint.js';
import { sharedDatabase, type SharedDatabase } from './shared-database.js';

const TRUST_LOOPBACK = { trustedProxies: ['127.0.0.1', '::1'] };

describe('normalizeBlockEntry', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'], ['::ffff:203.0.113.7', '203.0.113.7'], ['2001:DB8::1', '2001:db8::1'],
    ['198.51.100.0/24', '198.51.100.0/24'], ['2001:db8::/32', '2001:db8::/32'],
  ])('MUST accept %s as %s', (text, entry) => expect(normalizeBlockEntry(text)).toBe(entry));

  it.each(['example.com', '203.0.113.300', '10.0.0.0/33', '10.0.0.1/8/1', ''])('MUST refuse %j', (text) => expect(normalizeBlockEntry(text)).toBeUndefined());
});

describe(`blocked addresses (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  beforeAll(async () => {
    ctx = await createTestContext(TRUST_LOOPBACK);
    app = createApp(ctx);
  });
  afterAll(() => ctx.close());

  it.each(EVERY_ENDPOINT)('MUST answer 403 access_denied at the %s endpoint for a blocked address', async (_name, send) => {
    await blockIp(ctx, { entry: '198.51.100.66', reason: 'test' });
    const response = await send(app, '198.51.100.66');
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: 'access_denied' });
    expect(response.headers['cache-control']).toBe('no-store');
    // Another address is served as usual.
    expect((await send(app, '198.51.100.67')).status).not.toBe(403);
  });

  it('MUST answer a browser with an HTML page', async () => {
    await blockIp(ctx, { entry: '198.51.100.66', reason: 'test' });
    const response = await request(app).get('/authorize?client_id=x').set('x-forwarded-for', '198.51.100.66').set('accept', 'text/html');
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toContain('access_denied');
  });

  it('MUST audit a refused request with its address (sampled per address)', async () => {
    await blockIp(ctx, { entry: '192.0.2.0/24', reason: 'range' });
    await request(app).get('/jwks').set('x-forwarded-for', '192.0.2.200').set('user-agent', 'scanner/0.1').expect(403);
    await request(app).get('/jwks').set('x-forwarded-for', '192.0.2.200').expect(403);
    await vi.waitFor(async () => expect(await ctx.stores.audit.list({ type: 'ip.request_blocked', ip: '192.0.2.200' })).toHaveLength(1));
    const [event] = await ctx.stores.audit.list({ type: 'ip.request_blocked', ip: '192.0.2.200' });
    expect(event).toMatchObject({ userAgent: 'scanner/0.1', details: { block: '192.0.2.0/24', source: 'operator', method: 'GET', path: '/jwks' } });
  });

  it('MUST NOT believe X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const untrusted = await createTestContext();
    try {
      await blockIp(untrusted, { entry: '198.51.100.99', reason: 'test' });
      // The peer (loopback) is the client: the header names nobody.
      await request(createApp(untrusted)).get('/jwks').set('x-forwarded-for', '198.51.100.99').expect(200);
      await blockIp(untrusted, { entry: '127.0.0.1', reason: 'test' });
      await blockIp(untrusted, { entry: '::1', reason: 'test' });
      await request(createApp(untrusted)).get('/jwks').set('x-forwarded-for', '203.0.113.1').expect(403);
    } finally {
      await untrusted.close();
    }
  });

  it('MUST lift a block when it expires, and on unblock; both audited', async () => {
    await blockIp(ctx, { entry: '203.0.113.80', reason: 'short', duration: 60 });
    await request(app).get('/jwks').set('x-forwarded-for', '203.0.113.80').expect(403);
    ctx.clock.advance(61);
    await request(app).get('/jwks').set('x-forwarded-for', '203.0.113.80').expect(200);
    await blockIp(ctx, { entry: '203.0.113.81', reason: 'until lifted' });
    await request(app).get('/jwks').set('x-forwarded-for', '203.0.113.81').expect(403);
    expect(await unblockIp(ctx, '203.0.113.81')).toBe(true);
    expect(await unblockIp(ctx, '203.0.113.81')).toBe(false);
    await request(app).get('/jwks').set('x-forwarded-for', '203.0.113.81').expect(200);
    expect((await ctx.stores.audit.list({ type: 'ip.blocked', ip: '203.0.113.80' }))[0].details).toMatchObject({ reason: 'short', source: 'operator' });
    expect(await ctx.stores.audit.list({ type: 'ip.unblocked', ip: '203.0.113.81' })).toHaveLength(1);
  });
});

describe(`blocks set on one node reach the others (${backendName})`, () => {
  let shared: SharedDatabase;
  beforeAll(async () => {
    shared = await sharedDatabase(2, TRUST_LOOPBACK);
  });
  afterAll(() => shared.close());

  it(`MUST refuse the address on a running node within ${STATE_REFRESH_SECONDS} seconds`, async () => {
    const [running, operator] = shared.nodes;
    const app = createApp(running);
    await request(app).get('/jwks').set('x-forwarded-for', '198.51.100.120').expect(200);
    await blockIp(operator, { entry: '198.51.100.120', reason: 'from the other node' });
    running.clock.advance(STATE_REFRESH_SECONDS);
    await request(app).get('/jwks').set('x-forwarded-for', '198.51.100.120').expect(403);
    await unblockIp(operator, '198.51.100.120');
    running.clock.advance(STATE_REFRESH_SECONDS);
    await request(app).get('/jwks').set('x-forwarded-for', '198.51.100.120').expect(200);
  });
});
