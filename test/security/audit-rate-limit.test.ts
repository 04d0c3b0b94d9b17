/**
 * Refused requests in the audit log: a rate limit exceeded is recorded (the first refusal per policy
 * and address, then at most one a minute with the count left out) without changing the 429.
 * @spec https://www.rfc-editor.org/rfc/rfc6585#section-4
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.3.2)
 */
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { REFUSAL_AUDIT_INTERVAL, RefusalSampler } from '../../src/security/audit-rate-limit.js';
import { createApp } from '../../src/server/app.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic, postToken, SECRET } from '../support/token-fixtures.js';

describe('RefusalSampler', () => {
  it('MUST let the first refusal of a key through, then one per interval with the count left out', () => {
    const sampler = new RefusalSampler();
    expect(sampler.take('a', 1_000)).toBe(0);
    expect(sampler.take('a', 1_001)).toBeUndefined();
    expect(sampler.take('a', 1_002)).toBeUndefined();
    expect(sampler.take('b', 1_002)).toBe(0);
    expect(sampler.take('a', 1_000 + REFUSAL_AUDIT_INTERVAL)).toBe(2);
  });
});

describe(`rate_limit.exceeded audit events (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  beforeAll(async () => {
    ctx = await createTestContext({ trustedProxies: ['127.0.0.1', '::1'], rateLimitToken: { points: 2, duration: 60 } });
    app = createApp(ctx);
    await createClient(ctx, { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'] });
  });
  afterAll(() => ctx.close());

  const send = (ip: string) => postToken(app, { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), 'x-forwarded-for': ip, 'user-agent': 'flooder/1' });
  const events = () => ctx.stores.audit.list({ type: 'rate_limit.exceeded' });

  it('MUST record the first refusal with policy, address and user agent, and sample the rest', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await send('198.51.100.50')).status);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    await vi.waitFor(async () => expect(await events()).toHaveLength(1));
    expect((await events())[0]).toMatchObject({ ip: '198.51.100.50', userAgent: 'flooder/1', details: { policy: 'token', limit: 2 } });
    ctx.clock.advance(REFUSAL_AUDIT_INTERVAL);
    expect((await send('198.51.100.50')).status).toBe(429);
    await vi.waitFor(async () => expect(await events()).toHaveLength(2));
    expect((await events())[0].details).toMatchObject({ not_recorded_since_last: 2 });
  });

  it('MUST answer 429 even when the audit store fails', async () => {
    const record = vi.spyOn(ctx.stores.audit, 'record').mockRejectedValue(new Error('audit store down'));
    try {
      for (let i = 0; i < 3; i += 1) await send('198.51.100.51');
      expect((await send('198.51.100.51')).status).toBe(429);
      expect(record).toHaveBeenCalled();
    } finally {
      record.mockRestore();
    }
  });
});
