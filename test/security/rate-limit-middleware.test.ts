import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { memoryBackend } from '../../src/security/rate-limit-backend.js';
import { applyRateLimit } from '../../src/security/rate-limit-middleware.js';
import { RateLimits } from '../../src/security/rate-limits.js';
import { createApp } from '../../src/server/app.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic } from '../support/token-fixtures.js';

let base: TestContext;
beforeAll(async () => {
  base = await createTestContext();
});
afterAll(async () => {
  await base.close();
});

/** The full app over the shared stores, with its own configuration and fresh counters. */
function appWith(overrides: Partial<Config> = {}) {
  const config: Config = { ...base.config, ...overrides };
  const ctx = { ...base, config, limits: new RateLimits(config, memoryBackend()) };
  return { ctx, app: createApp(ctx) };
}

const tokenRequest = (app: express.Express, clientId: string) =>
  request(app).post('/token').set('Authorization', basic(clientId, 'not-the-secret-0123456789abcdef0123')).type('form').send({ grant_type: 'client_credentials' });

describe(`RFC 6585 §4 rate limits at the endpoints (${backendName})`, () => {
  it('MUST answer the 61st token request from one IP and client within a minute with 429, Retry-After and the rate-limit headers', async () => {
    const { app } = appWith();
    for (let i = 1; i <= 60; i += 1) {
      const res = await tokenRequest(app, 'rl-client');
      expect(res.status).not.toBe(429);
      // Every limited response carries the headers, allowed ones included.
      expect(res.headers['x-ratelimit-limit']).toBe('60');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(60 - i));
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
      expect(Number(res.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60);
    }
    const refused = await tokenRequest(app, 'rl-client');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ error: 'too_many_requests', error_description: 'Too many requests', error_uri: expect.stringMatching(/\/errors\/too_many_requests\/RFC6749-2.3.1-3$/) });
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(refused.headers['cache-control']).toBe('no-store');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['x-ratelimit-limit']).toBe('60');
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(refused.headers['x-ratelimit-reset'])).toBe(retryAfter);
    // The key is IP + client: another client from the same address is counted apart.
    expect((await tokenRequest(app, 'other-client')).status).not.toBe(429);
  });

  it('counts the form body client_id and the Basic client_id alike', async () => {
    const { app } = appWith({ rateLimitToken: { points: 2, duration: 60 } });
    await tokenRequest(app, 'same');
    await request(app).post('/token').type('form').send({ grant_type: 'client_credentials', client_id: 'same' });
    expect((await tokenRequest(app, 'same')).status).toBe(429);
  });

  it('admits exactly the limit of 200 concurrent token requests', async () => {
    const { app } = appWith();
    const server: Server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
      const statuses = await Promise.all(Array.from({ length: 200 }, () =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=burst' }).then(async (res) => {
          await res.arrayBuffer();
          return res.status;
        })));
      expect(statuses.filter((status) => status !== 429)).toHaveLength(60);
      expect(statuses.filter((status) => status === 429)).toHaveLength(140);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('MUST NOT let a spoofed X-Forwarded-For escape the limit when the peer is not a trusted proxy', async () => {
    const { app } = appWith({ rateLimitToken: { points: 1, duration: 60 } });
    await tokenRequest(app, 'c').set('X-Forwarded-For', '198.51.100.1');
    const spoofed = await tokenRequest(app, 'c').set('X-Forwarded-For', '198.51.100.2');
    expect(spoofed.status).toBe(429);
  });

  it('counts each forwarded client apart behind a trusted proxy', async () => {
    const { app } = appWith({ rateLimitToken: { points: 1, duration: 60 }, trustedProxies: ['127.0.0.1', '::1'] });
    expect((await tokenRequest(app, 'c').set('X-Forwarded-For', '198.51.100.1')).status).not.toBe(429);
    expect((await tokenRequest(app, 'c').set('X-Forwarded-For', '198.51.100.2')).status).not.toBe(429);
    expect((await tokenRequest(app, 'c').set('X-Forwarded-For', '198.51.100.1')).status).toBe(429);
  });

  it('limits the authorization endpoint by address over GET and POST together', async () => {
    const { app } = appWith({ rateLimitAuthorization: { points: 2, duration: 60 } });
    const first = await request(app).get('/authorize').query({ client_id: 'a' });
    expect(first.status).not.toBe(429);
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    await request(app).post('/authorize').type('form').send({ client_id: 'b' });
    const refused = await request(app).get('/authorize').query({ client_id: 'c' });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('too_many_requests');
    expect(refused.headers['retry-after']).toBeDefined();
  });

  it('sends no rate-limit headers and refuses nothing when RATE_LIMIT_ENABLED=false', async () => {
    const { app } = appWith({ rateLimitEnabled: false, rateLimitToken: { points: 1, duration: 60 } });
    const responses = [await tokenRequest(app, 'c'), await tokenRequest(app, 'c')];
    expect(responses.map((res) => res.status)).not.toContain(429);
    expect(responses[1].headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('tells a banned caller so, with the ban as Retry-After', async () => {
    const { app } = appWith({ rateLimitToken: { points: 1, duration: 60 } });
    for (let i = 0; i < 3; i += 1) await tokenRequest(app, 'c');
    const banned = await tokenRequest(app, 'c');
    expect(banned.status).toBe(429);
    expect(banned.body.error_description).toMatch(/temporarily blocked/);
    expect(Number(banned.headers['retry-after'])).toBeGreaterThan(3500);
  });
});

describe('applyRateLimit for endpoints that learn their key late (userinfo, introspection)', () => {
  function lateKeyApp(limits: RateLimits) {
    const app = express();
    app.get('/userinfo', async (req, res) => {
      const user = String(req.query.user);
      if (!(await applyRateLimit(res, limits, 'userinfo', user))) return;
      res.json({ sub: user });
    });
    return app;
  }

  it('returns false after sending the 429, true (with headers) otherwise', async () => {
    const app = lateKeyApp(new RateLimits({ ...base.config, rateLimitUserinfo: { points: 1, duration: 60 } }, memoryBackend()));
    const allowed = await request(app).get('/userinfo?user=alice');
    expect(allowed.status).toBe(200);
    expect(allowed.headers['x-ratelimit-remaining']).toBe('0');
    const refused = await request(app).get('/userinfo?user=alice');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('too_many_requests');
    expect((await request(app).get('/userinfo?user=bob')).status).toBe(200);
  });

  it('lets requests through when the counter store fails (the outage is logged, not served)', async () => {
    const limits = new RateLimits({ ...base.config, rateLimitUserinfo: { points: 1, duration: 60 } }, memoryBackend());
    limits.consume = () => Promise.reject(new Error('store down'));
    const app = lateKeyApp(limits);
    expect((await request(app).get('/userinfo?user=alice')).status).toBe(200);
    expect((await request(app).get('/userinfo?user=alice')).status).toBe(200);
  });
});
