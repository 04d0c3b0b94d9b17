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

describe('RFC 6797 §7.2 Strict-Transport-Security', () => {
  it('MUST NOT be sent over plain http, even with an https issuer', async () => {
    const res = await request(appWith({ issuer: 'https://id.example' })).get('/jwks');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('is sent when a trusted proxy reports https and BEHIND_PROXY is set', async () => {
    const app = appWith({ behindProxy: true, trustedProxies: ['127.0.0.1', '::1'] });
    const res = await request(app).get('/jwks').set('X-Forwarded-Proto', 'https');
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('ignores X-Forwarded-Proto from an untrusted peer', async () => {
    const app = appWith({ behindProxy: true, trustedProxies: ['10.0.0.1'] });
    const res = await request(app).get('/jwks').set('X-Forwarded-Proto', 'https');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('SHOULD suppress the Referer on every page, so codes in URLs do not leak (RFC 9700 §4.2.4)', async () => {
    for (const path of ['/jwks', '/authorize', '/no-such-page']) {
      const res = await request(appWith({})).get(path);
      expect(res.headers['referrer-policy'], path).toBe('no-referrer');
    }
  });

  it('keeps the other security headers on every response', async () => {
    const res = await request(appWith({})).get('/jwks');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
