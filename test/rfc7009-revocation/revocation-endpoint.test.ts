/**
 * POST /revoke end to end through the app: an access token (opaque or JWT) alone, a refresh token
 * with its whole grant, 200 for unknown tokens, refusal of another client's token, audit events.
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.2
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOKED_BY_CLIENT } from '../../src/rfc7009-revocation/revocation-endpoint.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { postToken, basic, SECRET, storedState } from '../support/token-fixtures.js';
import { backendName } from '../support/test-context.js';
import { lifecycleRig, type LifecycleRig } from '../support/token-lifecycle-fixtures.js';

describe(`RFC 7009 token revocation (${backendName})`, () => {
  let rig: LifecycleRig;
  beforeAll(async () => {
    rig = await lifecycleRig();
  });
  afterAll(() => rig.close());

  const active = async (token: string, clientId = 'web') => (await rig.introspect({ token }, clientId)).body.active as boolean;
  const userinfo = (token: string) => request(rig.app).get('/userinfo').set('authorization', `Bearer ${token}`);
  const grantOf = async (refreshToken: string) => rig.ctx.stores.grants.find((await rig.ctx.stores.refreshTokens.find(hashHandle(refreshToken)))!.grantId);
  const auditOf = (type: string) => rig.ctx.stores.audit.list({ type });

  async function expectRevoked200(form: Record<string, string>, clientId = 'web') {
    const response = await rig.revoke(form, clientId);
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.text).toBe('');
  }

  describe('RFC 7009 §2.1 access tokens', () => {
    it('MUST revoke an opaque access token, and only it: the refresh token and its grant live on', async () => {
      const tokens = await rig.codeTokens('web');
      expect((await userinfo(tokens.access_token)).status).toBe(200);
      await expectRevoked200({ token: tokens.access_token, token_type_hint: 'access_token' });
      expect(await active(tokens.access_token)).toBe(false);
      expect((await userinfo(tokens.access_token)).status).toBe(401);
      expect((await grantOf(tokens.refresh_token!))?.revokedAt).toBeNull();
      const next = await rig.refresh(tokens.refresh_token!);
      expect(await active(next.access_token)).toBe(true);
    });

    it('MUST keep a JWT access token revocable through its recorded jti', async () => {
      const tokens = await rig.codeTokens('web-jwt');
      expect(await active(tokens.access_token, 'web-jwt')).toBe(true);
      await expectRevoked200({ token: tokens.access_token }, 'web-jwt');
      expect(await active(tokens.access_token, 'web-jwt')).toBe(false);
      expect((await userinfo(tokens.access_token)).status).toBe(401);
    });

    it('records a token.revoked audit event with the grant and no token', async () => {
      const tokens = await rig.serviceTokens('svc');
      await expectRevoked200({ token: tokens.access_token }, 'svc');
      const events = await auditOf('token.revoked');
      const event = events.find((e) => e.clientId === 'svc');
      expect(event?.details).toMatchObject({ token_type: 'access_token', format: 'opaque', newly_revoked: true, grant_id: expect.any(String) });
      expect(JSON.stringify(events)).not.toContain(tokens.access_token);
    });
  });

  describe('RFC 7009 §2.1 refresh tokens revoke their family', () => {
    it('MUST revoke the grant: the refresh token, its successors\' access tokens and the first access token all die', async () => {
      const first = await rig.codeTokens('web');
      const second = await rig.refresh(first.refresh_token!);
      await expectRevoked200({ token: second.refresh_token!, token_type_hint: 'refresh_token' });
      const grant = await grantOf(second.refresh_token!);
      expect(grant?.revokedAt).not.toBeNull();
      expect(grant?.revokedReason).toBe(REVOKED_BY_CLIENT);
      for (const token of [first.access_token, second.access_token, second.refresh_token!]) expect(await active(token)).toBe(false);
      const refused = await postToken(rig.app, { grant_type: 'refresh_token', refresh_token: second.refresh_token! }, { authorization: basic('web', SECRET) });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
    });

    it('MUST find a refresh token sent with the access_token hint (the search extends to all types)', async () => {
      const tokens = await rig.codeTokens('web');
      await expectRevoked200({ token: tokens.refresh_token!, token_type_hint: 'access_token' });
      expect(await active(tokens.access_token)).toBe(false);
    });

    it('lets a public client revoke its own refresh token with client_id alone', async () => {
      const tokens = await rig.codeTokens('public');
      await expectRevoked200({ token: tokens.refresh_token! }, 'public');
      expect((await grantOf(tokens.refresh_token!))?.revokedAt).not.toBeNull();
    });
  });

  describe('RFC 7009 §2.2 answers', () => {
    it('MUST answer 200 for an unknown token and change nothing', async () => {
      const before = await storedState(rig.ctx);
      await expectRevoked200({ token: 'C'.repeat(43) });
      await expectRevoked200({ token: 'not.a.jwt' });
      expect(await storedState(rig.ctx)).toEqual(before);
    });

    it('MUST answer 200 again for a token already revoked', async () => {
      const tokens = await rig.codeTokens('web');
      await expectRevoked200({ token: tokens.refresh_token! });
      await expectRevoked200({ token: tokens.refresh_token! });
      await expectRevoked200({ token: tokens.access_token });
      const grantId = (await grantOf(tokens.refresh_token!))?.id;
      const events = (await auditOf('token.revoked')).filter((e) => e.details?.grant_id === grantId);
      // The grant was revoked once; the access token's own row is marked on its first revocation.
      expect(events.map((e) => `${e.details?.token_type}:${e.details?.newly_revoked}`).sort()).toEqual(['access_token:true', 'refresh_token:false', 'refresh_token:true']);
    });

    it('MUST refuse another client\'s token with invalid_request and revoke nothing (§2.1 ownership check)', async () => {
      const tokens = await rig.codeTokens('web');
      for (const token of [tokens.access_token, tokens.refresh_token!]) {
        const response = await rig.revoke({ token }, 'other');
        expect(response.status).toBe(400);
        expect(response.body.error).toBe('invalid_request');
        expect(response.headers['cache-control']).toBe('no-store');
      }
      expect(await active(tokens.access_token)).toBe(true);
      expect(await active(tokens.refresh_token!)).toBe(true);
      expect((await auditOf('token.revocation_refused')).some((e) => e.clientId === 'other' && e.details?.owner === 'web')).toBe(true);
    });
  });
});
