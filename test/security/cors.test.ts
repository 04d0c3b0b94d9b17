import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { memoryBackend } from '../../src/security/rate-limit-backend.js';
import { RateLimits } from '../../src/security/rate-limits.js';
import { createApp } from '../../src/server/app.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

let base: TestContext;
beforeAll(async () => {
  base = await createTestContext();
});
afterAll(async () => {
  await base.close();
});

function appWith(overrides: Partial<Config>) {
  const config: Config = { ...base.config, ...overrides };
  return createApp({ ...base, config, limits: new RateLimits(config, memoryBackend()) });
}

const APP_ORIGIN = 'https://app.example';
const CORS_ENDPOINTS: [string, string][] = [
  ['GET', '/.well-known/openid-configuration'],
  ['GET', '/.well-known/oauth-authorization-server'],
  ['GET', '/jwks'],
  ['POST', '/token'],
  ['GET', '/userinfo'],
  ['POST', '/revoke'],
  ['POST', '/introspect'],
];

const send = (app: ReturnType<typeof appWith>, method: string, path: string, origin = APP_ORIGIN) =>
  (method === 'GET' ? request(app).get(path) : request(app).post(path).type('form').send({ client_id: 'spa' })).set('Origin', origin);

describe('RFC 9700 §2.6 CORS for browser-based clients', () => {
  describe('restricted origins (production style)', () => {
    const app = () => appWith({ corsOrigins: [APP_ORIGIN] });

    it.each(CORS_ENDPOINTS)('echoes a listed Origin on %s %s and exposes the rate-limit and challenge headers', async (method, path) => {
      const res = await send(app(), method, path);
      expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(res.headers.vary).toMatch(/Origin/);
      const exposed = res.headers['access-control-expose-headers'].split(', ');
      expect(exposed).toEqual(expect.arrayContaining(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After', 'WWW-Authenticate']));
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('MUST NOT allow an origin that is not listed', async () => {
      const res = await send(app(), 'GET', '/jwks', 'https://evil.example');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers.vary).toMatch(/Origin/);
    });

    it('answers a preflight with 204, the allowed methods and the Authorization, Content-Type and DPoP headers', async () => {
      const res = await request(app()).options('/token').set('Origin', APP_ORIGIN).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'dpop, content-type');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(res.headers['access-control-allow-methods']).toBe('GET, POST');
      expect(res.headers['access-control-allow-headers']).toBe('Authorization, Content-Type, DPoP');
      expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      // A preflight is not a request: it consumes no rate limit.
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    });

    it('gives a preflight from an unlisted origin nothing to go on', async () => {
      const res = await request(app()).options('/userinfo').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'GET');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-methods']).toBeUndefined();
    });

    it('lets a browser read the 429 of a rate-limited token request', async () => {
      const limited = appWith({ corsOrigins: [APP_ORIGIN], rateLimitToken: { points: 1, duration: 60 } });
      await send(limited, 'POST', '/token');
      const res = await send(limited, 'POST', '/token');
      expect(res.status).toBe(429);
      expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    });
  });

  describe('never on the authorization endpoint or the interaction pages', () => {
    it.each([['GET', '/authorize'], ['POST', '/authorize'], ['GET', '/interaction/abc/login'], ['POST', '/interaction/abc/consent']])('MUST NOT send CORS headers on %s %s', async (method, path) => {
      const res = await send(appWith({ corsOrigins: ['*'] }), method, path);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-expose-headers']).toBeUndefined();
    });

    it('MUST NOT answer a preflight for /authorize', async () => {
      const res = await request(appWith({ corsOrigins: ['*'] })).options('/authorize').set('Origin', APP_ORIGIN).set('Access-Control-Request-Method', 'POST');
      expect(res.status).not.toBe(204);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-methods']).toBeUndefined();
    });
  });

  describe('development default', () => {
    it('allows any origin with `*` when CASTELLAN_PRODUCTION is off and CORS_ORIGINS is unset', async () => {
      expect(base.config.corsOrigins).toEqual(['*']);
      const res = await send(appWith({}), 'GET', '/.well-known/openid-configuration', 'http://localhost:5173');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers.vary ?? '').not.toMatch(/Origin/);
    });

    it('sends nothing to same-origin requests that carry no Origin', async () => {
      const res = await request(appWith({})).get('/jwks');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});
