/**
 * Store conformance for the token lifecycle: an access token revoked on its own (migration 002),
 * and the joined read of a token with its grant and username that introspection relies on.
 * Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessTokenRecord, GrantRecord, RefreshTokenRecord } from '../../src/storage/stores.js';
import { hashHandle, newHandle, newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const grant = (overrides: Partial<GrantRecord> = {}): GrantRecord => ({
  id: newId(), clientId: 'client-a', userId: null, scope: 'openid offline_access', claims: { userinfo: { email: null } },
  resource: ['https://api.example/'], authTime: 1_700_000_000, acr: 'urn:example:loa:2', amr: ['pwd', 'otp'], sid: newId(),
  createdAt: 1_700_000_000, expiresAt: 1_702_592_000, revokedAt: null, revokedReason: null, ...overrides,
});

const access = (grantId: string, overrides: Partial<AccessTokenRecord> = {}): AccessTokenRecord => ({
  tokenHash: hashHandle(newHandle()), format: 'opaque', grantId, clientId: 'client-a', scope: 'openid',
  audience: ['https://api.example/'], createdAt: 1_700_000_000, expiresAt: 1_700_003_600, revokedAt: null, ...overrides,
});

const refresh = (grantId: string, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
  tokenHash: hashHandle(newHandle()), grantId, clientId: 'client-a', scope: 'openid offline_access',
  createdAt: 1_700_000_000, expiresAt: 1_702_592_000, consumedAt: null, ...overrides,
});

describe(`token lifecycle stores on ${backendName}`, () => {
  let ctx: TestContext;
  let userId: string;
  beforeAll(async () => {
    ctx = await createTestContext();
    userId = newId();
    await ctx.stores.users.insert({ id: userId, username: 'erin', passwordHash: 'x', claims: {}, createdAt: 1, updatedAt: 1 });
  });
  afterAll(() => ctx.close());

  describe('RFC 7009 §2.1 AccessTokenStore.revoke', () => {
    it('MUST mark one access token revoked, once, and leave its siblings alone', async () => {
      const g = grant();
      const target = access(g.id);
      const sibling = access(g.id);
      await ctx.stores.insertNewRows({ grants: [g], accessTokens: [target, sibling] });
      expect(await ctx.stores.accessTokens.revoke(target.tokenHash, 1_700_000_100)).toBe(true);
      expect(await ctx.stores.accessTokens.revoke(target.tokenHash, 1_700_000_200)).toBe(false);
      expect((await ctx.stores.accessTokens.find(target.tokenHash))?.revokedAt).toBe(1_700_000_100);
      expect((await ctx.stores.accessTokens.find(sibling.tokenHash))?.revokedAt).toBeNull();
      expect((await ctx.stores.grants.find(g.id))?.revokedAt).toBeNull();
    });

    it('reports false for an unknown token', async () => {
      expect(await ctx.stores.accessTokens.revoke(hashHandle('nothing'), 1_700_000_100)).toBe(false);
    });
  });

  describe('findWithGrant: one read for token, grant and username', () => {
    it('returns an access token with its grant and the user name, every field intact', async () => {
      const g = grant({ userId });
      const token = access(g.id, { format: 'jwt', tokenHash: newId(), audience: null });
      await ctx.stores.insertNewRows({ grants: [g], accessTokens: [token] });
      expect(await ctx.stores.accessTokens.findWithGrant(token.tokenHash)).toEqual({ token, grant: g, username: 'erin' });
    });

    it('returns a refresh token with its grant; no username without a user', async () => {
      const g = grant({ revokedAt: 1_700_000_050, revokedReason: 'refresh_token_reuse' });
      const token = refresh(g.id, { consumedAt: 1_700_000_010 });
      await ctx.stores.insertNewRows({ grants: [g], refreshTokens: [token] });
      expect(await ctx.stores.refreshTokens.findWithGrant(token.tokenHash)).toEqual({ token, grant: g, username: null });
    });

    it('returns undefined for an unknown hash, and for a token whose grant row is gone', async () => {
      expect(await ctx.stores.accessTokens.findWithGrant(hashHandle('unknown'))).toBeUndefined();
      expect(await ctx.stores.refreshTokens.findWithGrant(hashHandle('unknown'))).toBeUndefined();
      const orphan = access(newId());
      await ctx.stores.insertNewRows({ accessTokens: [orphan] });
      expect(await ctx.stores.accessTokens.findWithGrant(orphan.tokenHash)).toBeUndefined();
    });

    it('returns an authorization code with its grant and user; user null without one; nothing for a code without its grant', async () => {
      const g = grant({ userId });
      const code = {
        codeHash: hashHandle(newHandle()), grantId: g.id, clientId: 'client-a', redirectUri: 'https://rp.example/cb',
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', codeChallengeMethod: 'S256', nonce: null,
        scope: 'openid', createdAt: 1_700_000_000, expiresAt: 1_700_000_060, consumedAt: 1_700_000_001,
      };
      await ctx.stores.insertNewRows({ grants: [g], authorizationCodes: [code] });
      // The user comes with it for the ID token, without the password hash.
      expect(await ctx.stores.codes.findWithGrant(code.codeHash)).toEqual({
        token: code, grant: g, username: 'erin', user: { id: userId, username: 'erin', claims: {}, createdAt: 1, updatedAt: 1 },
      });
      const userless = grant();
      const clientCode = { ...code, codeHash: hashHandle(newHandle()), grantId: userless.id };
      await ctx.stores.insertNewRows({ grants: [userless], authorizationCodes: [clientCode] });
      expect(await ctx.stores.codes.findWithGrant(clientCode.codeHash)).toEqual({ token: clientCode, grant: userless, username: null, user: null });
      const orphan = { ...code, codeHash: hashHandle(newHandle()), grantId: newId() };
      await ctx.stores.insertNewRows({ authorizationCodes: [orphan] });
      expect(await ctx.stores.codes.findWithGrant(orphan.codeHash)).toBeUndefined();
    });

    it('inside a transaction sees its own uncommitted rows, and nothing once it rolls back', async () => {
      const g = grant({ userId });
      const token = access(g.id);
      await expect(ctx.stores.transaction(async (tx) => {
        await ctx.stores.insertNewRows({ grants: [g], accessTokens: [token] }, undefined, tx);
        expect(await ctx.stores.accessTokens.findWithGrant(token.tokenHash, tx)).toEqual({ token, grant: g, username: 'erin' });
        expect(await ctx.stores.grants.find(g.id, tx)).toEqual(g);
        throw new Error('roll back');
      })).rejects.toThrow('roll back');
      expect(await ctx.stores.accessTokens.findWithGrant(token.tokenHash)).toBeUndefined();
      expect(await ctx.stores.grants.find(g.id)).toBeUndefined();
    });

    it('does not confuse the two kinds: an access token hash is not a refresh token', async () => {
      const g = grant();
      const token = access(g.id);
      await ctx.stores.insertNewRows({ grants: [g], accessTokens: [token] });
      expect(await ctx.stores.refreshTokens.findWithGrant(token.tokenHash)).toBeUndefined();
    });
  });
});
