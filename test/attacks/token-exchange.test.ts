/**
 * Attacks on token exchange, after RFC 8693 §5 (Security Considerations): "the authorization server
 * MUST perform the appropriate validation procedures for the subject and actor tokens" and decide
 * by policy what it issues. Each case is an attempt to get more than the policy and the subject
 * token allow.
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-5
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, CALENDAR } from '../support/token-lifecycle-fixtures.js';
import { AT, JWT, ORDERS, UNTRUSTED_ISSUER, exchangeRig, type ExchangeRig } from '../support/token-exchange-fixtures.js';
import { backendName } from '../support/test-context.js';

describe(`attacks: RFC 8693 §5 token exchange (${backendName})`, () => {
  let rig: ExchangeRig;
  beforeAll(async () => {
    rig = await exchangeRig();
  });
  afterAll(() => rig.close());

  const userToken = () => rig.codeTokens('web', { scope: 'openid profile', resource: [API, CALENDAR] });

  it('MUST refuse to exchange another client\'s token when the policy does not name that client', async () => {
    const stolen = await userToken();
    const response = await rig.exchange({ subject_token: stolen.access_token, subject_token_type: AT, audience: CALENDAR }, 'narrow');
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    // Neither can the downstream client, which may only exchange the gateway's tokens.
    expect((await rig.exchange({ subject_token: stolen.access_token, subject_token_type: AT, actor_token: (await rig.serviceTokens('downstream')).access_token, actor_token_type: AT, audience: API }, 'downstream')).body.error).toBe('invalid_request');
  });

  it('MUST NOT widen the scope through exchange, not even in two steps', async () => {
    const subject = await userToken();
    expect((await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: API, scope: 'openid profile email' })).body.error).toBe('invalid_scope');
    const narrowed = await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: API, scope: 'profile' });
    expect(narrowed.body.scope).toBe('profile');
    const widened = await rig.exchange({ subject_token: narrowed.body.access_token, subject_token_type: AT, actor_token: (await rig.serviceTokens('downstream')).access_token, actor_token_type: AT, audience: API, scope: 'openid profile' }, 'downstream');
    expect(widened.body.error).toBe('invalid_scope');
  });

  it('MUST refuse an actor_token from an untrusted issuer, and a trusted issuer\'s token signed with a key it does not publish', async () => {
    const subject = await userToken();
    const forged = await rig.idp.sign({ sub: 'admin' }, { issuer: UNTRUSTED_ISSUER });
    const response = await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, actor_token: forged, actor_token_type: JWT, audience: API });
    expect(response.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('not trusted') });
    const wrongKey = await rig.idp.sign({ sub: 'admin' }, { key: rig.idp.strangerKey });
    expect((await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, actor_token: wrongKey, actor_token_type: JWT, audience: API })).body.error).toBe('invalid_request');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'https://idp.partner.example', sub: 'admin', exp: 9_999_999_999 })).toString('base64url')}.`;
    expect((await rig.exchange({ subject_token: unsigned, subject_token_type: JWT, audience: ORDERS })).body.error).toBe('invalid_request');
  });

  it('MUST NOT let a chain of exchanges widen the audience', async () => {
    const subject = await userToken();
    const first = await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: CALENDAR });
    expect(first.status).toBe(200);
    // ORDERS is in the downstream policy, but the token it holds was exchanged for CALENDAR only.
    const actor = (await rig.serviceTokens('downstream')).access_token;
    const wider = await rig.exchange({ subject_token: first.body.access_token, subject_token_type: AT, actor_token: actor, actor_token_type: AT, audience: [CALENDAR, ORDERS] }, 'downstream');
    expect(wider.body).toMatchObject({ error: 'invalid_target', error_description: expect.stringContaining('only be narrowed') });
    const same = await rig.exchange({ subject_token: first.body.access_token, subject_token_type: AT, actor_token: actor, actor_token_type: AT }, 'downstream');
    expect(same.status).toBe(200);
    expect((await rig.introspect({ token: same.body.access_token }, 'downstream')).body.aud).toBe(CALENDAR);
  });

  it('an exchanged token MUST die when the subject\'s grant is revoked', async () => {
    const subject = await rig.codeTokens('web', { scope: 'openid offline_access', resource: [API] });
    const exchanged = await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: API, requested_token_type: JWT });
    expect((await rig.introspect({ token: exchanged.body.access_token }, 'gateway')).body.active).toBe(true);
    await rig.revoke({ token: subject.refresh_token! });
    expect((await rig.introspect({ token: exchanged.body.access_token }, 'gateway')).body).toEqual({ active: false });
    // And it cannot be exchanged again either.
    expect((await rig.exchange({ subject_token: exchanged.body.access_token, subject_token_type: AT, audience: API })).body.error).toBe('invalid_request');
  });

  it('MUST NOT accept a Castellan logout token or an expired token as a subject', async () => {
    const subject = await userToken();
    rig.ctx.clock.advance(rig.ctx.config.accessTokenTtl + 1);
    try {
      expect((await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: API })).body.error).toBe('invalid_request');
    } finally {
      rig.ctx.clock.advance(-(rig.ctx.config.accessTokenTtl + 1));
    }
    const logoutToken = await rig.ctx.keystore.sign({ iss: rig.ctx.config.issuer, sub: rig.user.id, aud: 'web', iat: rig.ctx.clock(), exp: rig.ctx.clock() + 60, jti: 'x', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }, { typ: 'logout+jwt' });
    expect((await rig.exchange({ subject_token: logoutToken, subject_token_type: JWT, audience: API })).body.error).toBe('invalid_request');
  });
});
