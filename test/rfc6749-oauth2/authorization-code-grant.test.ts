import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createClient } from '../../src/clients/client-service.js';
import { createApp } from '../../src/server/app.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { resolveAccessToken } from '../../src/tokens/access-token.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { createUser } from '../../src/users/user-service.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic, issueCode, pkcePair, postToken, REDIRECT, SECRET, storedState, type IssuedCode } from '../support/token-fixtures.js';

describe(`RFC 6749 §4.1.3 authorization code grant (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  let user: UserRecord;
  const auth = (clientId = 'web') => ({ authorization: basic(clientId, SECRET) });
  const redeem = (issued: IssuedCode, clientId = 'web', extra: Record<string, string | undefined> = {}) =>
    postToken(app, { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier, ...extra }, auth(clientId));
  const code = (options: Partial<Parameters<typeof issueCode>[1]> = {}) => issueCode(ctx, { clientId: 'web', userId: user.id, ...options });

  /** Sends a request that must fail and must leave every stored row as it was. */
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
    await createClient(ctx, { client_id: 'no-refresh', ...common, grant_types: ['authorization_code'] });
    await createClient(ctx, { client_id: 'legacy', ...common, require_pkce: false });
    await createClient(ctx, { client_id: 'jwt-at', ...common, access_token_format: 'jwt' });
    await createClient(ctx, { client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] });
    user = await createUser(ctx, { username: 'alice', password: 'alice long password', claims: { email: 'alice@example.com', name: 'Alice' } });
  });
  afterAll(() => ctx.close());

  describe('successful exchange', () => {
    it('MUST return access, refresh and ID tokens with no-store caching (§5.1)', async () => {
      const issued = await code();
      const response = await redeem(issued);
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers.pragma).toBe('no-cache');
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: ctx.config.accessTokenTtl, scope: 'openid offline_access' });
      expect(typeof response.body.refresh_token).toBe('string');
      const active = await resolveAccessToken(ctx, response.body.access_token);
      expect(active?.grant.id).toBe(issued.grant.id);
      expect(active?.record.scope).toBe('openid offline_access');
      const claims = decodeJwt(response.body.id_token);
      expect(claims).toMatchObject({ iss: ctx.config.issuer, sub: user.id, aud: 'web', azp: 'web', nonce: issued.record.nonce });
      expect(claims.email).toBeUndefined();
    });

    it('MUST mark the code used and record a token.issued audit event without any token in it', async () => {
      const issued = await code();
      const response = await redeem(issued);
      expect((await ctx.stores.codes.findWithGrant(hashHandle(issued.code)))?.token.consumedAt).toBe(ctx.clock());
      const [event] = await ctx.stores.audit.list({ type: 'token.issued', clientId: 'web', limit: 1 });
      expect(event.details).toMatchObject({ grant_type: 'authorization_code', grant_id: issued.grant.id, refresh_token: true, id_token: true });
      const serialised = JSON.stringify(event);
      for (const token of [response.body.access_token, response.body.refresh_token, response.body.id_token, issued.code]) expect(serialised).not.toContain(token);
    });

    it('issues the client\'s JWT access token format when registered (RFC 9068)', async () => {
      const response = await redeem(await code({ clientId: 'jwt-at' }), 'jwt-at');
      expect(response.status).toBe(200);
      expect(decodeProtectedHeader(response.body.access_token).typ).toBe('at+jwt');
      expect(await resolveAccessToken(ctx, response.body.access_token)).toBeDefined();
    });

    it('lets a public client redeem with client_id alone and PKCE', async () => {
      const issued = await code({ clientId: 'spa' });
      const response = await postToken(app, { grant_type: 'authorization_code', client_id: 'spa', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier });
      expect(response.status).toBe(200);
    });
  });

  describe('refresh token issuance', () => {
    it('SHOULD NOT issue a refresh token for an OpenID request without offline_access (OIDC Core §11)', async () => {
      const response = await redeem(await code({ scope: 'openid profile' }));
      expect(response.status).toBe(200);
      expect(response.body.refresh_token).toBeUndefined();
      expect(response.body.id_token).toBeDefined();
    });
    it('issues a refresh token for a plain OAuth request when the client has the refresh_token grant', async () => {
      const response = await redeem(await code({ scope: 'api:read' }));
      expect(response.status).toBe(200);
      expect(response.body.refresh_token).toBeDefined();
      expect(response.body.id_token).toBeUndefined();
    });
    it('MUST NOT issue a refresh token to a client not registered for the refresh_token grant', async () => {
      const response = await redeem(await code({ clientId: 'no-refresh' }), 'no-refresh');
      expect(response.status).toBe(200);
      expect(response.body.refresh_token).toBeUndefined();
    });
  });

  describe('RFC 6749 §4.1.2 single use', () => {
    it('MUST reject a second use with invalid_grant and revoke every token issued from the code', async () => {
      const issued = await code();
      const first = await redeem(issued);
      expect(first.status).toBe(200);
      const second = await redeem(issued);
      expect(second.status).toBe(400);
      expect(second.body.error).toBe('invalid_grant');
      expect(await resolveAccessToken(ctx, first.body.access_token)).toBeUndefined();
      const refresh = await postToken(app, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, auth());
      expect(refresh.body.error).toBe('invalid_grant');
      expect((await ctx.stores.grants.find(issued.grant.id))?.revokedReason).toBe('code_replay');
      const replay = (await ctx.stores.audit.list({ type: 'token.code_replay', clientId: 'web' })).find((e) => e.details?.grant_id === issued.grant.id);
      // Where the replay came from is what an incident responder needs first.
      expect(replay?.ip).toBeTruthy();
    });

    it('MUST let exactly one of two concurrent redemptions succeed, and revoke it', async () => {
      const issued = await code();
      const responses = await Promise.all([redeem(issued), redeem(issued)]);
      expect(responses.map((r) => r.status).sort()).toEqual([200, 400]);
      const winner = responses.find((r) => r.status === 200);
      expect(await resolveAccessToken(ctx, winner?.body.access_token)).toBeUndefined();
      expect((await ctx.stores.grants.find(issued.grant.id))?.revokedAt).not.toBeNull();
    });
  });

  describe('bad requests leave everything unchanged', () => {
    it('MUST reject an unknown code with invalid_grant', () =>
      expectUnchanged(() => postToken(app, { grant_type: 'authorization_code', code: 'A'.repeat(43), redirect_uri: REDIRECT, code_verifier: pkcePair().verifier }, auth()), 400, 'invalid_grant'));
    it('MUST reject a missing code with invalid_request', () => expectUnchanged(() => postToken(app, { grant_type: 'authorization_code', redirect_uri: REDIRECT }, auth()), 400, 'invalid_request'));
    it('MUST reject a repeated code with invalid_request', async () => {
      const issued = await code();
      await expectUnchanged(() => postToken(app, { grant_type: 'authorization_code', code: [issued.code, issued.code], redirect_uri: REDIRECT, code_verifier: issued.verifier }, auth()), 400, 'invalid_request');
    });
    it('MUST reject an oversized code with invalid_request', () => expectUnchanged(() => postToken(app, { grant_type: 'authorization_code', code: 'x'.repeat(513), redirect_uri: REDIRECT }, auth()), 400, 'invalid_request'));
    it('MUST require redirect_uri, since the authorization request carried it', async () => {
      const issued = await code();
      await expectUnchanged(() => redeem(issued, 'web', { redirect_uri: undefined }), 400, 'invalid_request');
    });
    it('MUST reject a redirect_uri that is not identical to the authorization request\'s', async () => {
      const issued = await code();
      for (const variant of [REDIRECT + '/', REDIRECT.toUpperCase(), REDIRECT + '?x=1', 'https://rp.example/other']) {
        await expectUnchanged(() => redeem(issued, 'web', { redirect_uri: variant }), 400, 'invalid_grant');
      }
      expect((await redeem(issued)).status).toBe(200);
    });
    it('MUST reject a mismatching code_verifier (RFC 7636 §4.6)', async () => {
      const issued = await code();
      await expectUnchanged(() => redeem(issued, 'web', { code_verifier: pkcePair().verifier }), 400, 'invalid_grant');
    });
    it('MUST reject a code issued with a challenge when no verifier is sent', async () => {
      const issued = await code();
      await expectUnchanged(() => redeem(issued, 'web', { code_verifier: undefined }), 400, 'invalid_grant');
    });
    it('MUST reject a verifier for a code issued without a challenge (PKCE downgrade)', async () => {
      const issued = await code({ clientId: 'legacy', pkce: false });
      await expectUnchanged(() => redeem(issued, 'legacy', { code_verifier: pkcePair().verifier }), 400, 'invalid_grant');
      expect((await redeem(issued, 'legacy')).status).toBe(200);
    });
    it('MUST reject a code without a challenge for a client that requires PKCE', async () => {
      const issued = await code({ pkce: false });
      await expectUnchanged(() => redeem(issued), 400, 'invalid_grant');
    });
    it('MUST reject an expired code', async () => {
      const issued = await code();
      ctx.clock.advance(ctx.config.authorizationCodeTtl);
      try {
        await expectUnchanged(() => redeem(issued), 400, 'invalid_grant');
      } finally {
        ctx.clock.advance(-ctx.config.authorizationCodeTtl);
      }
    });
    it('MUST reject another client\'s code without consuming it or revoking its grant', async () => {
      const issued = await code({ clientId: 'other' });
      await expectUnchanged(() => redeem(issued, 'web'), 400, 'invalid_grant');
      expect((await redeem(issued, 'other')).status).toBe(200);
    });
    it('MUST NOT revoke a grant when another client replays its used code', async () => {
      const issued = await code({ clientId: 'other' });
      const first = await redeem(issued, 'other');
      await expectUnchanged(() => redeem(issued, 'web'), 400, 'invalid_grant');
      expect(await resolveAccessToken(ctx, first.body.access_token)).toBeDefined();
    });
    it('MUST reject a code whose grant was revoked', async () => {
      const issued = await code();
      await ctx.stores.grants.revoke(issued.grant.id, 'logout', ctx.clock());
      await expectUnchanged(() => redeem(issued), 400, 'invalid_grant');
    });
    it('MUST reject a code whose user has been deleted, issuing no ID token for a missing subject', async () => {
      const doomed = await createUser(ctx, { username: 'doomed', password: 'doomed long password', claims: {} });
      const issued = await issueCode(ctx, { clientId: 'web', userId: doomed.id });
      expect(await ctx.stores.users.remove(doomed.id)).toBe(true);
      await expectUnchanged(() => redeem(issued), 400, 'invalid_grant');
    });
    it('MUST reject a client registered for another grant type with unauthorized_client', async () => {
      await createClient(ctx, { client_id: 'machine', client_secret: SECRET, grant_types: ['client_credentials'] });
      const issued = await code({ clientId: 'machine' });
      await expectUnchanged(() => redeem(issued, 'machine'), 400, 'unauthorized_client');
    });
  });
});
