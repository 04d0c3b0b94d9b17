/**
 * The token exchange grant end to end through POST /token: delegation and impersonation, act in the
 * JWT and at introspection, may_act, a trusted external issuer (JWKS on loopback), policy refusals,
 * auditing, and the exchanged token dying with its subject token's grant on every revocation path.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteClient } from '../../src/clients/client-service.js';
import { revokeClientTokens } from '../../src/security/incident-response.js';
import { issueCode, postToken, REDIRECT, basic, SECRET } from '../support/token-fixtures.js';
import { API, CALENDAR, JWT_API } from '../support/token-lifecycle-fixtures.js';
import { AT, EXTERNAL_ISSUER, IDT, JWT, ORDERS, RT, exchangeRig, type ExchangeRig } from '../support/token-exchange-fixtures.js';
import { backendName } from '../support/test-context.js';

describe(`RFC 8693 token exchange grant (${backendName})`, () => {
  let rig: ExchangeRig;
  beforeAll(async () => {
    rig = await exchangeRig();
  });
  afterAll(() => rig.close());

  const userToken = (clientId = 'web', scope = 'openid profile offline_access') => rig.codeTokens(clientId, { scope, resource: [API, CALENDAR] });
  const active = async (token: string, clientId = 'gateway') => (await rig.introspect({ token }, clientId)).body.active as boolean;

  describe('RFC 8693 §2.2.1 impersonation', () => {
    it('MUST answer with access_token, issued_token_type, token_type and expires_in; the token speaks for the subject without act', async () => {
      const subject = await userToken();
      const response = await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: CALENDAR, scope: 'profile' });
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toMatchObject({ issued_token_type: AT, token_type: 'Bearer', scope: 'profile' });
      expect(response.body.expires_in).toBeGreaterThan(0);
      expect(response.body.refresh_token).toBeUndefined();
      const introspection = (await rig.introspect({ token: response.body.access_token }, 'gateway')).body;
      expect(introspection).toMatchObject({ active: true, sub: rig.user.id, client_id: 'gateway', aud: CALENDAR, scope: 'profile' });
      expect(introspection.act).toBeUndefined();
    });

    it('keeps the subject token: a refresh token is looked up, never consumed', async () => {
      const subject = await userToken();
      const response = await rig.exchange({ subject_token: subject.refresh_token, subject_token_type: RT, resource: API });
      expect(response.status).toBe(200);
      expect((await rig.introspect({ token: response.body.access_token }, 'gateway')).body).toMatchObject({ active: true, aud: API, scope: 'openid profile offline_access' });
      expect((await rig.refresh(subject.refresh_token!)).access_token).toBeDefined();
    });

    it('accepts a Castellan ID token of a live grant, and refuses one whose grant was revoked', async () => {
      const subject = await userToken('web', 'openid profile');
      const response = await rig.exchange({ subject_token: subject.id_token, subject_token_type: IDT, audience: ORDERS });
      expect(response.status).toBe(200);
      expect((await rig.introspect({ token: response.body.access_token }, 'gateway')).body).toMatchObject({ active: true, sub: rig.user.id, aud: ORDERS });
      await rig.revoke({ token: subject.refresh_token ?? subject.access_token });
      await rig.ctx.stores.grants.revokeByUserAndClient(rig.user.id, 'web', 'test', rig.ctx.clock());
      const again = await rig.exchange({ subject_token: subject.id_token, subject_token_type: IDT, audience: ORDERS });
      expect(again.body).toMatchObject({ error: 'invalid_request' });
      expect(await active(response.body.access_token)).toBe(false);
    });
  });

  describe('RFC 8693 §4.1 delegation: the act claim', () => {
    it('MUST name the actor in act, in the JWT and at introspection of an opaque token', async () => {
      const subject = await userToken();
      const actor = await rig.serviceTokens('gateway');
      const asJwt = await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, actor_token: actor.access_token, actor_token_type: AT, requested_token_type: JWT, audience: API });
      expect(asJwt.status).toBe(200);
      expect(asJwt.body.issued_token_type).toBe(JWT);
      expect(decodeJwt(asJwt.body.access_token)).toMatchObject({ sub: rig.user.id, client_id: 'gateway', aud: API, act: { sub: 'gateway' } });
      const opaque = await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, actor_token: actor.access_token, actor_token_type: AT, audience: API });
      expect((await rig.introspect({ token: opaque.body.access_token }, 'gateway')).body).toMatchObject({ active: true, sub: rig.user.id, act: { sub: 'gateway' } });
    });

    it('MUST nest the previous act when an exchanged token is exchanged again (the current actor outermost)', async () => {
      const subject = await userToken();
      const first = await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, actor_token: (await rig.serviceTokens('gateway')).access_token, actor_token_type: AT, audience: [API, CALENDAR] });
      const downstreamActor = await rig.serviceTokens('downstream');
      const second = await rig.exchange({ subject_token: first.body.access_token, subject_token_type: AT, actor_token: downstreamActor.access_token, actor_token_type: AT, audience: CALENDAR, requested_token_type: JWT }, 'downstream');
      expect(second.status).toBe(200);
      expect(decodeJwt(second.body.access_token)).toMatchObject({ sub: rig.user.id, client_id: 'downstream', aud: CALENDAR, act: { sub: 'downstream', act: { sub: 'gateway' } } });
    });
  });

  describe('RFC 8693 §4.4 may_act and trusted external issuers', () => {
    it('MUST verify a trusted issuer\'s JWT against its JWKS and issue for its subject', async () => {
      const subject = await rig.idp.sign({ sub: 'partner-user', scope: 'orders:read orders:write', aud: ORDERS });
      const response = await rig.exchange({ subject_token: subject, subject_token_type: JWT, audience: ORDERS, scope: 'orders:read', requested_token_type: JWT });
      expect(response.status).toBe(200);
      expect(decodeJwt(response.body.access_token)).toMatchObject({ sub: 'partner-user', scope: 'orders:read', aud: ORDERS, iss: rig.ctx.config.issuer });
      expect(rig.idp.fetches).toBeGreaterThan(0);
    });

    it('honours may_act naming the actor', async () => {
      const subject = await rig.idp.sign({ sub: 'partner-user', scope: 'orders:read', aud: ORDERS, may_act: { sub: 'gateway', iss: rig.ctx.config.issuer } });
      const actor = await rig.serviceTokens('gateway');
      const response = await rig.exchange({ subject_token: subject, subject_token_type: JWT, actor_token: actor.access_token, actor_token_type: AT, requested_token_type: JWT });
      expect(response.status).toBe(200);
      expect(decodeJwt(response.body.access_token)).toMatchObject({ sub: 'partner-user', aud: ORDERS, act: { sub: 'gateway' } });
    });

    it('MUST refuse an actor that may_act does not name (invalid_request)', async () => {
      const subject = await rig.idp.sign({ sub: 'partner-user', aud: ORDERS, may_act: { sub: 'someone-else' } });
      const actor = await rig.serviceTokens('gateway');
      const response = await rig.exchange({ subject_token: subject, subject_token_type: JWT, actor_token: actor.access_token, actor_token_type: AT });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('may_act') });
    });

    it('takes an external actor token: act names it with its iss', async () => {
      const subject = await userToken();
      const actor = await rig.idp.sign({ sub: 'partner-service' });
      const response = await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, actor_token: actor, actor_token_type: JWT, audience: API, requested_token_type: JWT });
      expect(decodeJwt(response.body.access_token).act).toEqual({ sub: 'partner-service', iss: EXTERNAL_ISSUER });
    });
  });

  describe('RFC 8693 §2.2.2 policy refusals', () => {
    it('a client without an exchange policy is unauthorized_client, even when registered for the grant type', async () => {
      const subject = await userToken();
      const response = await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: API }, 'no-policy');
      expect(response.body.error).toBe('unauthorized_client');
    });

    it('a client not registered for the grant type is unauthorized_client', async () => {
      const subject = await userToken();
      const response = await postToken(rig.app, { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: subject.access_token, subject_token_type: AT }, { authorization: basic('web', SECRET) });
      expect(response.body.error).toBe('unauthorized_client');
    });

    it('MUST answer invalid_request for a subject token type the policy does not accept', async () => {
      const own = await rig.serviceTokens('narrow');
      const response = await rig.exchange({ subject_token: own.access_token, subject_token_type: JWT, audience: CALENDAR }, 'narrow');
      expect(response.body).toMatchObject({ error: 'invalid_request' });
    });

    it('MUST answer invalid_target for an audience or resource outside the policy', async () => {
      const subject = await userToken();
      expect((await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: 'https://elsewhere.example' })).body.error).toBe('invalid_target');
      expect((await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, resource: 'https://elsewhere.example/' })).body.error).toBe('invalid_target');
    });

    it('MUST answer invalid_scope for a scope broader than the subject token\'s or the policy\'s cap', async () => {
      const subject = await userToken('web', 'openid profile');
      expect((await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: API, scope: 'profile admin' })).body.error).toBe('invalid_scope');
      const own = await rig.serviceTokens('narrow', { scope: 'openid-less' });
      expect((await rig.exchange({ subject_token: own.access_token, subject_token_type: AT, audience: CALENDAR, scope: 'openid-less' }, 'narrow')).body.error).toBe('invalid_scope');
    });

    it('MUST answer invalid_request for another client\'s token when the policy does not name that client', async () => {
      const subject = await userToken();
      const response = await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: CALENDAR }, 'narrow');
      expect(response.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('another client') });
    });

    it('MUST answer invalid_request for delegation when the policy allows impersonation only', async () => {
      const own = await rig.serviceTokens('narrow');
      const response = await rig.exchange({ subject_token: own.access_token, subject_token_type: AT, actor_token: own.access_token, actor_token_type: AT, audience: CALENDAR }, 'narrow');
      expect(response.body.error).toBe('invalid_request');
    });

    it('MUST answer invalid_request for an unsupported requested_token_type, an actor_token without its type, or no subject_token', async () => {
      const subject = await userToken();
      expect((await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: API, requested_token_type: RT })).body.error).toBe('invalid_request');
      expect((await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: API, actor_token: subject.access_token })).body.error).toBe('invalid_request');
      expect((await rig.exchange({ subject_token_type: AT, audience: API })).body).toMatchObject({ error: 'invalid_request', error_description: 'subject_token is required' });
      expect((await rig.exchange({ subject_token: 'no-such-token', subject_token_type: AT, audience: API })).body.error).toBe('invalid_request');
    });
  });

  describe('auditing', () => {
    it('records token.issued with subject, actor and exchanging client, and token_exchange.refused for a refusal', async () => {
      const subject = await userToken();
      const actor = await rig.serviceTokens('gateway');
      await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, actor_token: actor.access_token, actor_token_type: AT, audience: JWT_API });
      const [issued] = await rig.ctx.stores.audit.list({ type: 'token.issued', clientId: 'gateway', limit: 1 });
      expect(issued.userId).toBe(rig.user.id);
      expect(issued.details).toMatchObject({ exchanging_client: 'gateway', mode: 'delegation', subject: { sub: rig.user.id, client_id: 'web', token_type: AT }, actor: { sub: 'gateway', client_id: 'gateway' } });
      expect(JSON.stringify(issued.details)).not.toContain(subject.access_token);
      await rig.exchange({ subject_token: subject.access_token, subject_token_type: AT, audience: 'https://elsewhere.example' });
      const [refused] = await rig.ctx.stores.audit.list({ type: 'token_exchange.refused', clientId: 'gateway', limit: 1 });
      expect(refused.details).toMatchObject({ error: 'invalid_target' });
    });
  });

  describe('exchanged tokens die with the subject token\'s grant', () => {
    const exchangeFrom = async (subjectToken: string, clientId = 'gateway') => {
      const response = await rig.exchange({ subject_token: subjectToken, subject_token_type: AT, audience: API }, clientId);
      expect(response.status).toBe(200);
      return response.body.access_token as string;
    };

    it('revoking the subject\'s refresh token at /revoke kills the exchanged token and its own exchanges', async () => {
      const subject = await userToken();
      const exchanged = await exchangeFrom(subject.access_token);
      const downstream = (await rig.exchange({ subject_token: exchanged, subject_token_type: AT, actor_token: (await rig.serviceTokens('downstream')).access_token, actor_token_type: AT }, 'downstream')).body.access_token;
      expect(await active(downstream, 'downstream')).toBe(true);
      expect((await rig.revoke({ token: subject.refresh_token! })).status).toBe(200);
      expect(await active(exchanged)).toBe(false);
      expect(await active(downstream, 'downstream')).toBe(false);
    });

    it('a replayed authorization code revokes the grant and so the exchanged token', async () => {
      const issued = await issueCode(rig.ctx, { clientId: 'web', userId: rig.user.id, grant: { resource: [API] } });
      const form = { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier };
      const first = await postToken(rig.app, form, { authorization: basic('web', SECRET) });
      const exchanged = await exchangeFrom(first.body.access_token);
      expect((await postToken(rig.app, form, { authorization: basic('web', SECRET) })).body.error).toBe('invalid_grant');
      expect(await active(exchanged)).toBe(false);
    });

    it('incident revoke-client and client removal of the subject\'s client reach exchanged tokens', async () => {
      const subject = await rig.codeTokens('web-jwt', { resource: [API] });
      const exchanged = await exchangeFrom(subject.access_token);
      const usableOfGateway = () => rig.ctx.stores.grants.countUsableTokensByClient('gateway', rig.ctx.clock());
      const gatewayBefore = await usableOfGateway();
      // The count covers what the revocation reaches: the client's own tokens and the exchanged one.
      expect(await revokeClientTokens(rig.ctx, 'web-jwt', 'test')).toMatchObject({ accessTokens: 2, refreshTokens: 1 });
      expect(await active(exchanged)).toBe(false);
      // The gateway's exchanged grant is dead through its revoked parent: its token no longer counts as usable.
      expect(await usableOfGateway()).toEqual({ ...gatewayBefore, accessTokens: gatewayBefore.accessTokens - 1 });
      const other = await rig.codeTokens('web', { resource: [API] });
      const second = await exchangeFrom(other.access_token);
      await rig.ctx.stores.transaction((tx) => deleteClient(rig.ctx, 'gateway-less-client-does-not-exist', 'client_removed', tx, { type: 'client.removed' }));
      expect(await active(second)).toBe(true);
      await rig.ctx.stores.transaction((tx) => deleteClient(rig.ctx, 'web', 'client_removed', tx, { type: 'client.removed' }));
      expect(await active(second)).toBe(false);
    });
  });
});
