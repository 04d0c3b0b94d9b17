/**
 * Attack family: PKCE downgrade and weakening (RFC 9700 §4.8; §2.1.1 requires PKCE with S256).
 * The attacker strips or weakens the challenge at the authorization endpoint, or redeems a code
 * without the verifier, or with a verifier for a code that never had a challenge. Spring
 * Authorization Server's CVE-2024-22258 was exactly such a downgrade for confidential clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkcePair } from '../support/code-issuer.js';
import { backendName } from '../support/test-context.js';
import { attackRig, basic, expectJsonError, expectRedirectError, goodParams, REDIRECT, type AttackRig } from './attack-rig.js';

describe(`attack suite: PKCE downgrade (${backendName})`, () => {
  let rig: AttackRig;
  beforeAll(async () => {
    rig = await attackRig();
  });
  afterAll(() => rig.close());

  const noTokensIssued = async (send: () => Promise<Response>) => {
    const before = await rig.state();
    const body = await expectJsonError(rig, send, 400, 'invalid_grant', true);
    const after = await rig.state();
    expect(after.accessTokens).toBe(before.accessTokens);
    expect(after.refreshTokens).toBe(before.refreshTokens);
    return body;
  };

  describe('at the authorization endpoint', () => {
    // RFC 9700 §2.1.1: the plain method reveals the verifier in the front channel.
    it('MUST refuse code_challenge_method=plain', () =>
      expectRedirectError(rig, () => rig.authorize(goodParams('web', { code_challenge_method: 'plain' })), 'invalid_request'));
    // RFC 7636 §4.3: an absent method means plain, so omitting it is a downgrade too.
    it('MUST refuse a challenge without code_challenge_method (which would mean plain)', () =>
      expectRedirectError(rig, () => rig.authorize(goodParams('web', { code_challenge_method: undefined })), 'invalid_request'));
    // Case games with the method name.
    it('MUST refuse a mis-cased method name', () =>
      expectRedirectError(rig, () => rig.authorize(goodParams('web', { code_challenge_method: 's256' })), 'invalid_request'));
    // RFC 9700 §2.1.1: public clients MUST use PKCE; stripping the challenge must not be accepted.
    it('MUST refuse a public client\'s request stripped of its code_challenge', () =>
      expectRedirectError(rig, () => rig.authorize(goodParams('public', { code_challenge: undefined, code_challenge_method: undefined })), 'invalid_request'));
    it('MUST refuse a confidential client\'s request stripped of its code_challenge (PKCE required by default)', () =>
      expectRedirectError(rig, () => rig.authorize(goodParams('web', { code_challenge: undefined, code_challenge_method: undefined })), 'invalid_request'));
  });

  describe('at the token endpoint', () => {
    // RFC 9700 §4.8.1: the challenge was sent, the attacker (holding a stolen code) omits the verifier.
    it('MUST refuse a code issued with a challenge when the verifier is omitted', async () => {
      const { code } = await rig.freshCode('web');
      await noTokensIssued(() => rig.post('/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, { authorization: basic('web') }));
    });
    // RFC 9700 §4.8.2: a verifier for a code issued without a challenge reveals an injected code
    // (the attacker's own session had no PKCE); the server MUST refuse it.
    it('MUST refuse a verifier for a code whose authorization request had no challenge', async () => {
      const code = await rig.codes.code({ client_id: 'legacy', redirect_uri: REDIRECT, scope: 'openid' });
      await noTokensIssued(() => rig.post('/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkcePair().verifier }, { authorization: basic('legacy') }));
    });
    // The challenge itself replayed as the verifier ("plain" proof against an S256 challenge).
    it('MUST refuse the challenge presented as the verifier', async () => {
      const pkce = pkcePair();
      const code = await rig.codes.code({ client_id: 'web', redirect_uri: REDIRECT, scope: 'openid', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
      await noTokensIssued(() => rig.exchange('web', { code, verifier: pkce.challenge }));
    });
    // RFC 9700 §4.5 + §4.8: a verifier from the attacker's own flow does not fit the victim's code.
    it('MUST refuse a verifier from another authorization', async () => {
      const victim = await rig.freshCode('public');
      const attacker = await rig.freshCode('public');
      await noTokensIssued(() => rig.exchange('public', { code: victim.code, verifier: attacker.verifier }));
    });
  });

  // RFC 9700 §2.1.1: a public client cannot register its way out of PKCE (RFC 7591 §3.2.2 error).
  it('MUST refuse to register a public client with require_pkce false', async () => {
    const before = await rig.state();
    const response = await fetch(`${rig.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', require_pkce: false }),
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('invalid_client_metadata');
    expect(await rig.state()).toEqual(before);
  });

  // Keeps the helpers honest: the same secret and flow succeed when nothing is tampered with.
  it('accepts the untampered exchange (control)', async () => {
    const code = await rig.freshCode('web');
    const response = await rig.exchange('web', code);
    expect(response.status).toBe(200);
  });
});
