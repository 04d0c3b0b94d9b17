import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRegistrationCheck, registrationOpen } from '../../src/rfc7591-registration/registration-gate.js';
import { backendName, createTestContextWithApp, type TestContext } from '../support/test-context.js';

const BODY = JSON.stringify({ redirect_uris: ['https://rp.example/cb'] });
const INITIAL_TOKEN = 'initial-access-token-for-tests-0123456789abcdef';
const register = (app: Express, authorization?: string) => {
  const req = request(app).post('/register').set('content-type', 'application/json');
  return (authorization ? req.set('authorization', authorization) : req).send(BODY);
};

describe(`RFC 7591 §3 who may register (${backendName})`, () => {
  describe('token mode: an initial access token is required', () => {
    let ctx: TestContext;
    let app: Express;
    beforeAll(async () => {
      ({ ctx, app } = await createTestContextWithApp({ registrationInitialAccessToken: INITIAL_TOKEN, rateLimitEnabled: false }));
    });
    afterAll(() => ctx.close());

    it('defaults to token mode when an initial access token is configured', () => {
      expect(ctx.config.registrationMode).toBe('token');
    });
    it('MUST answer 401 with a Bearer challenge and no error code in it when no token is sent (RFC 6750 §3.1)', async () => {
      const res = await register(app);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="castellan"');
      expect(res.body.error).toBe('invalid_token');
    });
    it('MUST answer 401 invalid_token to a wrong token', async () => {
      const res = await register(app, `Bearer ${INITIAL_TOKEN}x`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    });
    it('registers with the right token, and checks the token before reading the body', async () => {
      expect((await register(app, `Bearer ${INITIAL_TOKEN}`)).status).toBe(201);
      const unauthenticatedGarbage = await request(app).post('/register').set('content-type', 'application/json').send('not json');
      expect(unauthenticatedGarbage.status).toBe(401);
    });
  });

  describe('off mode, and production without a token', () => {
    let ctx: TestContext;
    let app: Express;
    beforeAll(async () => {
      ({ ctx, app } = await createTestContextWithApp({ production: true, issuer: 'https://id.example.test', rateLimitEnabled: false }));
    });
    afterAll(() => ctx.close());

    it('never defaults to open registration in production', () => {
      expect(ctx.config.registrationMode).toBe('off');
    });
    it('refuses registration with 403 access_denied and stores nothing', async () => {
      const res = await register(app);
      expect([res.status, res.body.error]).toEqual([403, 'access_denied']);
      expect(await ctx.stores.clients.list()).toEqual([]);
    });
    it('does not advertise registration_endpoint', async () => {
      const res = await request(app).get('/.well-known/openid-configuration');
      expect(res.body.registration_endpoint).toBeUndefined();
    });
  });

  describe('registrationOpen hook (emergency mode and the like)', () => {
    let ctx: TestContext;
    let app: Express;
    beforeAll(async () => {
      ({ ctx, app } = await createTestContextWithApp({ rateLimitEnabled: false }));
    });
    afterAll(() => ctx.close());

    it('is open by default in development', async () => {
      expect(ctx.config.registrationMode).toBe('open');
      expect(await registrationOpen(ctx)).toBe(true);
    });
    it('closes registration while an added check gives a reason, and reopens when it is removed', async () => {
      const remove = addRegistrationCheck(async () => 'Registration is closed during emergency mode');
      try {
        expect(await registrationOpen(ctx)).toBe(false);
        const res = await register(app);
        expect([res.status, res.body.error, res.body.error_description]).toEqual([403, 'access_denied', 'Registration is closed during emergency mode']);
      } finally {
        remove();
      }
      expect(await registrationOpen(ctx)).toBe(true);
      expect((await register(app)).status).toBe(201);
    });
  });

  describe('rate limit: registrations per client address', () => {
    let ctx: TestContext;
    let app: Express;
    beforeAll(async () => {
      ({ ctx, app } = await createTestContextWithApp({ rateLimitRegistration: { points: 2, duration: 3600 } }));
    });
    afterAll(async () => {
      await ctx.limits.close();
      await ctx.close();
    });

    it('MUST answer 429 with Retry-After once an address used up its registrations', async () => {
      expect((await register(app)).status).toBe(201);
      expect((await register(app)).status).toBe(201);
      const refused = await register(app);
      expect(refused.status).toBe(429);
      expect(refused.body.error).toBe('too_many_requests');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await ctx.stores.clients.list()).length).toBe(2);
    });
  });
});
