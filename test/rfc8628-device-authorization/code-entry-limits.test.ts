/**
 * Rate limits on user_code entry, RFC 8628 §5.1: per address and over all addresses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../support/test-context.js';
import { browserOf, deviceRig, enterCode, type DeviceRig } from './device-fixtures.js';

describe(`RFC 8628 §5.1 user code entry limits (${backendName})`, () => {
  describe('per address', () => {
    let rig: DeviceRig;
    beforeAll(async () => {
      rig = await deviceRig({ rateLimitDeviceVerification: { points: 3, duration: 60 } });
    });
    afterAll(() => rig.ctx.close());

    it('MUST refuse entries past the limit with 429 and Retry-After on the page, and audit the refusal', async () => {
      const agent = browserOf(rig);
      for (let i = 0; i < 3; i += 1) expect((await enterCode(agent, 'BCDF-GHJK')).status).toBe(400);
      const refused = await enterCode(agent, 'BCDF-GHJK');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.headers['content-type']).toMatch(/^text\/html/);
      expect(refused.text).toContain('Too many codes entered');
      const [event] = await rig.ctx.stores.audit.list({ type: 'rate_limit.exceeded', limit: 1 });
      expect(event.details).toMatchObject({ policy: 'device_verification' });
    });
  });

  describe('globally', () => {
    let rig: DeviceRig;
    beforeAll(async () => {
      rig = await deviceRig({ rateLimitDeviceVerification: { points: 100, duration: 60 }, rateLimitDeviceVerificationGlobal: { points: 2, duration: 60 } });
    });
    afterAll(() => rig.ctx.close());

    it('MUST count entries of every address together, and impose no ban on the shared key', async () => {
      for (let i = 0; i < 2; i += 1) expect((await enterCode(browserOf(rig), 'BCDF-GHJK')).status).toBe(400);
      for (let i = 0; i < 5; i += 1) expect((await enterCode(browserOf(rig), 'BCDF-GHJK')).status).toBe(429);
      const [event] = await rig.ctx.stores.audit.list({ type: 'rate_limit.exceeded', limit: 1 });
      expect(event.details).toMatchObject({ policy: 'device_verification_global' });
      // Five violations would ban any other key (soft ban after 3): the shared key is only ever refused until its window ends.
      const decision = await rig.ctx.limits.consume('device_verification_global', 'all');
      expect(decision.allowed).toBe(false);
      expect(decision.ban).toBeUndefined();
      expect(decision.retryAfter).toBeLessThanOrEqual(60);
    });
  });
});
