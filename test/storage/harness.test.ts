import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`test harness on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('bootstraps with an active and a next key per alg', async () => {
    const keys = await ctx.stores.keys.listAll();
    expect(keys.filter((k) => k.state === 'active').map((k) => k.alg).sort()).toEqual(['ES256', 'EdDSA', 'PS256', 'RS256']);
    expect(keys.filter((k) => k.state === 'next')).toHaveLength(4);
  });
});
