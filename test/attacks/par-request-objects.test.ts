/**
 * Attacks on pushed authorization requests and request objects, over HTTP against a running server.
 * Sources: RFC 9126 §4 (request_uri one-time, client-bound, expiring) and §7 (security
 * considerations: request_uri guessing §7.1, replay §7.3); RFC 9101 §10.5 (downgrade to unsigned),
 * §10.7 (parameter mismatches), §10.8 (cross-JWT confusion: aud); FAPI 2.0 Message Signing §5.3.2
 * (exp and nbf windows).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { pkcePair } from '../support/code-issuer.js';
import { requestObject, signingKey, unsignedObject, type SigningKey } from '../rfc9101-jar/jar-fixtures.js';
import { attackRig, basic, expectErrorPage, expectJsonError, goodParams, REDIRECT, SECRET, type AttackRig } from './attack-rig.js';

describe('attacks on pushed authorization requests and request objects', () => {
  let rig: AttackRig;
  let key: SigningKey;
  /** A FAPI 2.0 client authenticates with private_key_jwt (its profile allows nothing weaker). */
  const fapiAssertion = () => {
    const now = rig.ctx.clock();
    return new SignJWT({ iss: 'fapi', sub: 'fapi', aud: rig.ctx.config.issuer, iat: now, exp: now + 60, jti: randomUUID() })
      .setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
  };
  const push = async (clientId: string, form: Record<string, string>) => clientId === 'fapi'
    ? rig.post('/par', { ...form, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await fapiAssertion() })
    : rig.post('/par', form, { authorization: basic(clientId, SECRET) });
  const pushedUri = async (clientId: string, form: Record<string, string>) => {
    const response = await push(clientId, form);
    expect(response.status).toBe(201);
    return ((await response.json()) as { request_uri: string }).request_uri;
  };
  const plainForm = (clientId: string) => goodParams(clientId) as Record<string, string>;
  const fapiObject = (claims: Record<string, unknown> = {}) => requestObject(rig.ctx, key, 'fapi', {
    response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 'signed-state', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...claims,
  });

  beforeAll(async () => {
    rig = await attackRig();
    key = await signingKey('PS256');
    await createClient(rig.ctx, {
      client_id: 'fapi', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] }, redirect_uris: [REDIRECT],
      require_pushed_authorization_requests: true, require_signed_request_object: true, profile: 'fapi2',
    });
    await createClient(rig.ctx, { client_id: 'unsigned-ok', client_secret: SECRET, redirect_uris: [REDIRECT] });
  });
  afterAll(() => rig.close());

  describe('RFC 9126 request_uri', () => {
    it('§7.3: MUST refuse a replayed request_uri on a page', async () => {
      const requestUri = await pushedUri('web', plainForm('web'));
      // Visits before a sign-in completes are the user's own reloads (FAPI 2.0 SP §5.3.2.2); once a
      // code was issued for the request_uri, a replay is refused.
      expect((await rig.authorize({ client_id: 'web', request_uri: requestUri })).status).toBe(303);
      expect(await rig.codes.code({ client_id: 'web', request_uri: requestUri, redirect_uri: REDIRECT })).toBeTruthy();
      await expectErrorPage(rig, () => rig.authorize({ client_id: 'web', request_uri: requestUri }), /invalid_request_uri/);
    });

    it('§4: MUST refuse a request_uri past its expiry', async () => {
      const requestUri = await pushedUri('web', plainForm('web'));
      rig.ctx.clock.advance(rig.ctx.config.parTtl + 1);
      try {
        await expectErrorPage(rig, () => rig.authorize({ client_id: 'web', request_uri: requestUri }), /invalid_request_uri/);
      } finally {
        rig.ctx.clock.advance(-(rig.ctx.config.parTtl + 1));
      }
    });

    it('§4: MUST refuse a request_uri presented by another client', async () => {
      const requestUri = await pushedUri('other', plainForm('other'));
      await expectErrorPage(rig, () => rig.authorize({ client_id: 'web', request_uri: requestUri }), /invalid_request_uri/);
    });

    it('§7.1: MUST refuse a guessed request_uri', () =>
      expectErrorPage(rig, () => rig.authorize({ client_id: 'web', request_uri: 'urn:ietf:params:oauth:request_uri:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), /invalid_request_uri/));

    it('§2.1: MUST refuse a pushed request that points at another request_uri', async () => {
      const requestUri = await pushedUri('web', plainForm('web'));
      await expectJsonError(rig, () => push('web', { ...plainForm('web'), request_uri: requestUri }), 400, 'invalid_request');
    });

    it('§5: MUST refuse a plain request from a client that must push', async () => {
      const response = await rig.authorize(plainForm('fapi'));
      expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    });
  });

  describe('RFC 9101 request objects', () => {
    it('§10.5: MUST refuse an unsigned object from a client that must sign', async () => {
      const object = unsignedObject({ client_id: 'fapi', response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
      await expectJsonError(rig, () => push('fapi', { request: object }), 400, 'invalid_request_object');
      await expectJsonError(rig, () => push('fapi', plainForm('fapi')), 400, 'invalid_request');
    });

    it('MUST refuse an expired object, and (FAPI 2.0) one valid for hours', async () => {
      const now = rig.ctx.clock();
      await expectJsonError(rig, () => fapiObject({ exp: now - 300, nbf: now - 600 }).then((request) => push('fapi', { request })), 400, 'invalid_request_object');
      await expectJsonError(rig, () => fapiObject({ exp: now + 86_400 }).then((request) => push('fapi', { request })), 400, 'invalid_request_object');
    });

    it('§10.8: MUST refuse an object addressed to another server', async () => {
      await expectJsonError(rig, () => fapiObject({ aud: 'https://other-as.example' }).then((request) => push('fapi', { request })), 400, 'invalid_request_object');
    });

    it('§10.7: MUST ignore parameters sent beside the signed object', async () => {
      const requestUri = await pushedUri('fapi', { request: await fapiObject() });
      const response = await rig.authorize({ client_id: 'fapi', request_uri: requestUri, redirect_uri: 'https://attacker.example/cb', state: 'attacker-state', response_mode: 'form_post', scope: 'openid offline_access' });
      expect(response.status).toBe(303);
      // The login page comes first; the request it resumes is the signed one, not the query's.
      const uid = /\/interaction\/([^/]+)\//.exec(response.headers.get('location')!)![1];
      const interaction = await rig.ctx.knex('interactions').where('uid_hash', hashHandle(uid)).first();
      expect(interaction).toBeTruthy();
      const stored = JSON.stringify(interaction);
      expect(stored).toContain('signed-state');
      expect(stored).not.toContain('attacker');
      expect(stored).not.toContain('offline_access');
    });

    it('MUST refuse an unsigned object that names another client', async () => {
      const object = unsignedObject({ client_id: 'web', response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
      const response = await rig.authorize({ client_id: 'unsigned-ok', redirect_uri: REDIRECT, request: object });
      expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('invalid_request_object');
    });
  });
});
