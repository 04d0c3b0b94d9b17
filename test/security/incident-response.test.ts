/**
 * Incident response on a client: every access and refresh token it holds (opaque or JWT, code or
 * client-credentials) stops working at once: introspection answers inactive, UserInfo refuses, a
 * refresh fails. Other clients are untouched.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2 (inactive tokens)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (invalid_token)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INCIDENT_REVOKED_REASON, revokeClientTokens } from '../../src/security/incident-response.js';
import { backendName } from '../support/test-context.js';
import { basic, postToken, SECRET } from '../support/token-fixtures.js';
import { lifecycleRig, type LifecycleRig, type TokenSet } from '../support/token-lifecycle-fixtures.js';

describe(`incident revoke-client (${backendName})`, () => {
  let rig: LifecycleRig;
  beforeAll(async () => {
    rig = await lifecycleRig();
  });
  afterAll(() => rig.close());

  const active = async (token: string, as: string) => (await rig.introspect({ token }, as).expect(200)).body.active as boolean;
  const userinfo = (token: string) => request(rig.app).get('/userinfo').set('authorization', `Bearer ${token}`);

  it('MUST revoke every access and refresh token of the client, opaque and JWT, and leave other clients alone', async () => {
    const web: TokenSet[] = [await rig.codeTokens('web', { scope: 'openid offline_access' }), await rig.codeTokens('web', { scope: 'openid offline_access' })];
    const rotated = await rig.refresh(web[1].refresh_token!);
    const other = await rig.codeTokens('other', { scope: 'openid offline_access' });
    for (const token of [web[0].access_token, web[0].refresh_token!, rotated.access_token, rotated.refresh_token!]) expect(await active(token, 'web')).toBe(true);
    expect(await active(other.access_token, 'other')).toBe(true);
    await userinfo(rotated.access_token).expect(200);

    const result = await revokeClientTokens(rig.ctx, 'web', 'leaked in a log');
    // Two grants; usable: two refresh tokens (one was rotated away) and three access tokens.
    expect(result).toEqual({ grants: 2, refreshTokens: 2, accessTokens: 3 });

    for (const token of [web[0].access_token, web[0].refresh_token!, web[1].access_token, rotated.access_token, rotated.refresh_token!]) expect(await active(token, 'web')).toBe(false);
    const refused = await userinfo(rotated.access_token).expect(401);
    expect(refused.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    const refresh = await postToken(rig.app, { grant_type: 'refresh_token', refresh_token: rotated.refresh_token! }, { authorization: basic('web', SECRET) });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    // The other client's tokens still work.
    expect(await active(other.access_token, 'other')).toBe(true);
    await userinfo(other.access_token).expect(200);

    const [event] = await rig.ctx.stores.audit.list({ type: 'incident.client_revoked', clientId: 'web' });
    expect(event.details).toEqual({ grants: 2, refreshTokens: 2, accessTokens: 3, reason: 'leaked in a log' });
    const grants = await rig.ctx.knex('grants').where({ client_id: 'web' }).select('revoked_reason');
    expect(grants.map((g: { revoked_reason: string }) => g.revoked_reason)).toEqual([INCIDENT_REVOKED_REASON, INCIDENT_REVOKED_REASON]);
  });

  it('MUST revoke JWT access tokens (their jti is recorded) and client-credentials tokens', async () => {
    const jwt = await rig.codeTokens('web-jwt', { scope: 'openid' });
    const service = await rig.serviceTokens('svc');
    expect(await active(jwt.access_token, 'web-jwt')).toBe(true);
    expect(await active(service.access_token, 'svc')).toBe(true);
    await revokeClientTokens(rig.ctx, 'web-jwt');
    await revokeClientTokens(rig.ctx, 'svc');
    expect(await active(jwt.access_token, 'web-jwt')).toBe(false);
    expect(await active(service.access_token, 'svc')).toBe(false);
    await userinfo(jwt.access_token).expect(401);
  });

  it('MUST still let the client obtain new tokens afterwards (the client is not removed)', async () => {
    await revokeClientTokens(rig.ctx, 'svc');
    const fresh = await rig.serviceTokens('svc');
    expect(await active(fresh.access_token, 'svc')).toBe(true);
  });

  it('MUST report an unknown client and change nothing', async () => {
    expect(await revokeClientTokens(rig.ctx, 'no-such-client')).toBeUndefined();
    expect(await rig.ctx.stores.audit.list({ type: 'incident.client_revoked', clientId: 'no-such-client' })).toEqual([]);
  });
});
