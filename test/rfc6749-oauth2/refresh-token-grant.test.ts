import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createClient } from '../../src/clients/client-service.js';
import { accessTokenHash } from '../../src/oidc-core/id-token.js';
import { createApp } from '../../src/server/app.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { resolveAccessToken } from '../../src/tokens/access-token.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { createUser } from '../../src/users/user-service.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic, issueCode, postToken, REDIRECT, SECRET, storedState } from '../support/token-fixtures.js';

describe(`RFC 6749 §6 refresh token grant with rotation (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  let user: UserRecord;
  const auth = (clientId = 'web') => ({ authorization: basic(clientId, SECRET) });
  const refresh = (token: string, clientId = 'web', extra: Record<string, string | string[]> = {}) =>
    postToken(app, { grant_type: 'refresh_token', refresh_token: token, ...extra }, auth(clientId));

  /** Runs the code grant and returns its response body plus the grant. */
  async function tokens(options: { clientId?: string; scope?: string; grant?: Parameters<typeof issueCode>[1]['grant'] } = {}) {
    const clientId = options.clientId ?? 'web';
    const issued = await issueCode(ctx, { clientId, userId: user.id, scope: options.scope, grant: options.grant });
    const response = await postToken(app, { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier }, auth(clientId));
    expect(response.status).toBe(200);
    return { ...response.body, grant: issued.grant, nonce: issued.record.nonce } as Record<string, string> & { grant: typeof issued.grant };
  }

  async function expectUnchanged(send: () => PromiseLike<{ status: number; body: { error?: string } }>, status: number, error: string) {
    const before = await storedState(ctx);
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.body.error).toBe(error);
    expect(await storedState(ctx)).toEqual(before);
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    const common = { client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] };
    await createClient(ctx, { client_id: 'web', ...common });
    await createClient(ctx, { client_id: 'other', ...common });
    await createClient(ctx, { client_id: 'code-only', ...common, grant_types: ['authorization_code'] });
    user = await createUser(ctx, { username: 'bob', password: 'bob long password', claims: { email: 'bob@example.com' } });
  });
  afterAll(() => ctx.close());

  describe('rotation (RFC 9700 §4.14.2)', () => {
    it('MUST issue a new access token and a new refresh token, consuming the presented one', async () => {
      const first = await tokens();
      const response = await refresh(first.refresh_token);
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access' });
      expect(response.body.refresh_token).not.toBe(first.refresh_token);
      expect((await ctx.stores.refreshTokens.find(hashHandle(first.refresh_token)))?.consumedAt).toBe(ctx.clock());
      const child = await ctx.stores.refreshTokens.find(hashHandle(response.body.refresh_token));
      expect(child).toMatchObject({ grantId: first.grant.id, clientId: 'web', scope: 'openid offline_access', consumedAt: null });
      expect((await resolveAccessToken(ctx, response.body.access_token))?.grant.id).toBe(first.grant.id);
      expect((await refresh(response.body.refresh_token)).status).toBe(200);
      const [event] = await ctx.stores.audit.list({ type: 'token.issued', clientId: 'web', limit: 1 });
      expect(event.details).toMatchObject({ grant_type: 'refresh_token', rotated: true });
    });

    it('MUST revoke the whole grant when a rotated refresh token is presented again', async () => {
      const first = await tokens();
      const second = (await refresh(first.refresh_token)).body;
      const reuse = await refresh(first.refresh_token);
      expect(reuse.status).toBe(400);
      expect(reuse.body.error).toBe('invalid_grant');
      expect((await ctx.stores.grants.find(first.grant.id))?.revokedReason).toBe('refresh_token_reuse');
      expect(await resolveAccessToken(ctx, second.access_token)).toBeUndefined();
      expect(await resolveAccessToken(ctx, first.access_token)).toBeUndefined();
      expect((await refresh(second.refresh_token)).body.error).toBe('invalid_grant');
      const reuseEvent = (await ctx.stores.audit.list({ type: 'token.refresh_reuse' })).find((e) => e.details?.grant_id === first.grant.id);
      expect(reuseEvent?.ip).toBeTruthy();
    });

    it('MUST let one of two concurrent uses of one refresh token succeed and then revoke the family', async () => {
      const first = await tokens();
      const responses = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
      expect(responses.map((r) => r.status).sort()).toEqual([200, 400]);
      expect((await ctx.stores.grants.find(first.grant.id))?.revokedAt).not.toBeNull();
    });

    it('MUST cap the new refresh token\'s lifetime at the grant\'s expiry', async () => {
      const first = await tokens({ grant: { expiresAt: ctx.clock() + 100 } });
      expect((await ctx.stores.refreshTokens.find(hashHandle(first.refresh_token)))?.expiresAt).toBe(ctx.clock() + 100);
      ctx.clock.advance(10);
      try {
        const response = await refresh(first.refresh_token);
        expect((await ctx.stores.refreshTokens.find(hashHandle(response.body.refresh_token)))?.expiresAt).toBe(first.grant.expiresAt);
      } finally {
        ctx.clock.advance(-10);
      }
    });
  });

  describe('OIDC Core §12.2 ID token on refresh', () => {
    it('MUST return a new ID token with the same sub and auth_time, a new iat, and no nonce', async () => {
      const first = await tokens({ grant: { authTime: ctx.clock() - 300 } });
      const original = decodeJwt(first.id_token);
      expect(original.nonce).toBe(first.nonce);
      ctx.clock.advance(60);
      try {
        const response = await refresh(first.refresh_token);
        const renewed = decodeJwt(response.body.id_token);
        expect(renewed).toMatchObject({ iss: original.iss, sub: original.sub, aud: original.aud, azp: original.azp, auth_time: original.auth_time });
        expect(renewed.iat).toBe((original.iat as number) + 60);
        expect(renewed.nonce).toBeUndefined();
        expect(renewed.at_hash).toBe(accessTokenHash(response.body.access_token, 'RS256'));
      } finally {
        ctx.clock.advance(-60);
      }
    });
    it('MUST NOT return an ID token when openid is not in the requested scope', async () => {
      const first = await tokens({ scope: 'openid offline_access profile' });
      const response = await refresh(first.refresh_token, 'web', { scope: 'profile' });
      expect(response.status).toBe(200);
      expect(response.body.id_token).toBeUndefined();
    });
  });

  describe('scope (RFC 6749 §6)', () => {
    it('MAY narrow the scope; the new refresh token keeps the original scope', async () => {
      const first = await tokens({ scope: 'openid offline_access profile' });
      const narrowed = await refresh(first.refresh_token, 'web', { scope: 'openid offline_access' });
      expect(narrowed.status).toBe(200);
      expect(narrowed.body.scope).toBe('openid offline_access');
      expect((await resolveAccessToken(ctx, narrowed.body.access_token))?.record.scope).toBe('openid offline_access');
      const widenedBack = await refresh(narrowed.body.refresh_token, 'web', { scope: 'openid offline_access profile' });
      expect(widenedBack.status).toBe(200);
      expect(widenedBack.body.scope).toBe('openid offline_access profile');
    });
    it('MUST reject a scope beyond the original grant with invalid_scope', async () => {
      const first = await tokens();
      await expectUnchanged(() => refresh(first.refresh_token, 'web', { scope: 'openid offline_access email' }), 400, 'invalid_scope');
      expect((await refresh(first.refresh_token)).status).toBe(200);
    });
    it('MUST reject a malformed scope with invalid_request', async () => {
      const first = await tokens();
      await expectUnchanged(() => refresh(first.refresh_token, 'web', { scope: 'openid  "x"' }), 400, 'invalid_request');
    });
  });

  describe('bad requests leave everything unchanged', () => {
    it('MUST reject an unknown refresh token with invalid_grant', () => expectUnchanged(() => refresh('B'.repeat(43)), 400, 'invalid_grant'));
    it('MUST reject a missing refresh_token with invalid_request', () => expectUnchanged(() => postToken(app, { grant_type: 'refresh_token' }, auth()), 400, 'invalid_request'));
    it('MUST reject a repeated refresh_token with invalid_request', async () => {
      const first = await tokens();
      await expectUnchanged(() => postToken(app, { grant_type: 'refresh_token', refresh_token: [first.refresh_token, first.refresh_token] }, auth()), 400, 'invalid_request');
    });
    it('MUST reject an oversized refresh_token with invalid_request', () => expectUnchanged(() => refresh('r'.repeat(600)), 400, 'invalid_request'));
    it('MUST reject another client\'s refresh token without revoking anything (RFC 6749 §10.4)', async () => {
      const first = await tokens();
      await expectUnchanged(() => refresh(first.refresh_token, 'other'), 400, 'invalid_grant');
      expect((await refresh(first.refresh_token)).status).toBe(200);
    });
    it('MUST NOT revoke a grant when another client presents its rotated refresh token', async () => {
      const first = await tokens();
      const second = (await refresh(first.refresh_token)).body;
      await expectUnchanged(() => refresh(first.refresh_token, 'other'), 400, 'invalid_grant');
      expect(await resolveAccessToken(ctx, second.access_token)).toBeDefined();
    });
    it('MUST reject an expired refresh token', async () => {
      const first = await tokens({ grant: { expiresAt: ctx.clock() + 50 } });
      ctx.clock.advance(50);
      try {
        await expectUnchanged(() => refresh(first.refresh_token), 400, 'invalid_grant');
      } finally {
        ctx.clock.advance(-50);
      }
    });
    it('MUST reject a refresh token whose grant was revoked', async () => {
      const first = await tokens();
      await ctx.stores.grants.revoke(first.grant.id, 'logout', ctx.clock());
      await expectUnchanged(() => refresh(first.refresh_token), 400, 'invalid_grant');
    });
    it('MUST refuse a client not registered for the refresh_token grant with unauthorized_client', async () => {
      const first = await tokens();
      await expectUnchanged(() => refresh(first.refresh_token, 'code-only'), 400, 'unauthorized_client');
    });
  });
});
