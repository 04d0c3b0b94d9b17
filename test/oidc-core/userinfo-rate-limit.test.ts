import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import type { GrantRecord } from '../../src/storage/stores.js';
import { mintAccessToken } from '../../src/tokens/access-token.js';
import { newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { registerClient, registerUser } from '../support/browser-flow.js';

describe(`userinfo rate limit per user (${backendName})`, () => {
  let ctx: TestContext;
  let app: ReturnType<typeof createApp>;
  let userId: string;
  let clientId: string;

  beforeAll(async () => {
    ctx = await createTestContext({ rateLimitUserinfo: { points: 5, duration: 60 } });
    app = createApp(ctx);
    userId = (await registerUser(ctx, {})).user.id;
    clientId = (await registerClient(ctx)).clientId;
  });
  afterAll(() => ctx.close());

  async function token(): Promise<string> {
    const now = ctx.clock();
    const grant: GrantRecord = {
      id: newId(), clientId, userId, scope: 'openid', claims: null, resource: null, authTime: now, acr: null, amr: ['pwd'], sid: newId(),
      createdAt: now, expiresAt: now + 3600, revokedAt: null, revokedReason: null,
    };
    await ctx.stores.insertNewRows({ grants: [grant] });
    const issued = await mintAccessToken(ctx, { grant, scope: 'openid', format: 'opaque', subject: userId });
    await ctx.stores.insertNewRows({ accessTokens: [issued.record] });
    return issued.token;
  }

  it('counts every token of the same user against one limit, with rate-limit headers and 429 after it', async () => {
    const tokens = [await token(), await token()];
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const res = await request(app).get('/userinfo').set('Authorization', `Bearer ${tokens[i % 2]}`);
      statuses.push(res.status);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      if (res.status === 429) {
        expect(res.headers['retry-after']).toBeDefined();
        expect(res.body.error).toBe('too_many_requests');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });
});
