import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashHandle, newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`DPoP binding columns on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('keeps the dpop_jkt of codes, refresh tokens and access tokens, and reads unbound rows without one', async () => {
    const now = ctx.clock();
    const grant = {
      id: newId(), clientId: 'c', userId: null, scope: 's', claims: null, resource: null, authTime: null, acr: null, amr: null, sid: null,
      createdAt: now, expiresAt: now + 60, revokedAt: null, revokedReason: null,
    };
    const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
    const token = { grantId: grant.id, clientId: 'c', scope: 's', createdAt: now, expiresAt: now + 60 };
    await ctx.stores.insertNewRows({
      grants: [grant],
      authorizationCodes: [{ ...token, codeHash: hashHandle('code'), redirectUri: 'https://rp/cb', codeChallenge: null, codeChallengeMethod: null, nonce: null, consumedAt: null, dpopJkt: jkt }],
      refreshTokens: [{ ...token, tokenHash: hashHandle('bound'), consumedAt: null, dpopJkt: jkt }, { ...token, tokenHash: hashHandle('unbound'), consumedAt: null }],
      accessTokens: [{ ...token, tokenHash: hashHandle('at'), format: 'opaque', audience: null, revokedAt: null, dpopJkt: jkt }],
    });
    expect((await ctx.stores.codes.findWithGrant(hashHandle('code')))?.token.dpopJkt).toBe(jkt);
    expect((await ctx.stores.refreshTokens.find(hashHandle('bound')))?.dpopJkt).toBe(jkt);
    expect((await ctx.stores.refreshTokens.find(hashHandle('unbound')))).not.toHaveProperty('dpopJkt', expect.anything());
    expect((await ctx.stores.accessTokens.findWithGrant(hashHandle('at')))?.token.dpopJkt).toBe(jkt);
  });
});
