import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashHandle, newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`certificate binding columns (migration 014) on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('keeps the x5t#S256 of refresh and access tokens next to dpop_jkt, and reads unbound rows without one', async () => {
    const now = ctx.clock();
    const grant = {
      id: newId(), clientId: 'c', userId: null, scope: 's', claims: null, resource: null, authTime: null, acr: null, amr: null, sid: null,
      createdAt: now, expiresAt: now + 60, revokedAt: null, revokedReason: null,
    };
    const x5t = 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2';
    const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
    const token = { grantId: grant.id, clientId: 'c', scope: 's', createdAt: now, expiresAt: now + 60 };
    await ctx.stores.insertNewRows({
      grants: [grant],
      refreshTokens: [{ ...token, tokenHash: hashHandle('bound'), consumedAt: null, x5tS256: x5t }, { ...token, tokenHash: hashHandle('unbound'), consumedAt: null }],
      accessTokens: [{ ...token, tokenHash: hashHandle('at'), format: 'opaque', audience: null, revokedAt: null, x5tS256: x5t, dpopJkt: jkt }],
    });
    expect((await ctx.stores.refreshTokens.find(hashHandle('bound')))?.x5tS256).toBe(x5t);
    expect(await ctx.stores.refreshTokens.find(hashHandle('unbound'))).not.toHaveProperty('x5tS256', expect.anything());
    expect((await ctx.stores.accessTokens.findWithGrant(hashHandle('at')))?.token).toMatchObject({ x5tS256: x5t, dpopJkt: jkt });
  });
});
