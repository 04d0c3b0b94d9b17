/**
 * Attack family: DPoP (RFC 9449). Proofs replayed, made for another request, too old or from the
 * future, unsigned or MACed, leaking their private key; bound tokens, codes and refresh tokens used
 * by someone without the key. Each case cites the §11 consideration (or section) it defends.
 */
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpopKey, dpopProof, unsignedProof, type DpopKey, type ProofOptions } from '../support/dpop-proofs.js';
import { backendName } from '../support/test-context.js';
import { attackRig, basic, expectJsonError, type AttackRig } from './attack-rig.js';

describe(`attack suite: DPoP (${backendName})`, () => {
  let rig: AttackRig;
  let victim: DpopKey;
  let attacker: DpopKey;
  const now = () => Math.floor(Date.now() / 1000);
  const tokenUrl = () => `${rig.issuer}/token`;
  const proof = (key: DpopKey, options: Partial<ProofOptions> = {}) => dpopProof(key, { htu: tokenUrl(), ...options });

  /** A fresh code for `web` through the real pages, and the form that redeems it. */
  async function codeForm(extra: Record<string, string> = {}, clientId = 'web') {
    const { code, verifier } = await rig.freshCode(clientId, extra);
    return { grant_type: 'authorization_code', code, redirect_uri: 'https://rp.example/cb', code_verifier: verifier, ...(clientId === 'public' ? { client_id: clientId } : {}) };
  }
  const credentials = (clientId = 'web'): Record<string, string> => (clientId === 'public' ? {} : { authorization: basic(clientId) });

  async function boundTokens(key: DpopKey = victim, clientId = 'web') {
    const res = await rig.post('/token', await codeForm({}, clientId), { ...credentials(clientId), DPoP: await proof(key) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; refresh_token: string; token_type: string };
    expect(body.token_type).toBe('DPoP');
    return body;
  }
  const userinfo = (authorization: string, dpop?: string) =>
    fetch(`${rig.issuer}/userinfo`, { headers: { authorization, ...(dpop === undefined ? {} : { DPoP: dpop }) } });
  const userinfoProof = (key: DpopKey, accessToken: string | undefined, options: Partial<ProofOptions> = {}) =>
    dpopProof(key, { htm: 'GET', htu: `${rig.issuer}/userinfo`, accessToken, ...options });

  async function expectRefusedAtToken(dpop: string, error = 'invalid_dpop_proof') {
    const form = await codeForm();
    await expectJsonError(rig, () => rig.post('/token', form, { ...credentials(), DPoP: dpop }), 400, error);
  }
  async function expectUserinfoChallenge(res: Response, error: string) {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(new RegExp(`^DPoP error="${error}"`));
    expect(((await res.json()) as { error: string }).error).toBe(error);
  }

  beforeAll(async () => {
    rig = await attackRig();
    victim = await dpopKey('ES256');
    attacker = await dpopKey('ES256');
  });
  afterAll(() => rig.close());

  describe('RFC 9449 §11.1 proof replay', () => {
    it('MUST refuse a proof replayed at the token endpoint (same jti), issuing nothing', async () => {
      const captured = await proof(victim);
      expect((await rig.post('/token', await codeForm(), { ...credentials(), DPoP: captured })).status).toBe(200);
      await expectRefusedAtToken(captured);
    });

    it('MUST refuse a proof replayed at UserInfo', async () => {
      const { access_token: token } = await boundTokens();
      const captured = await userinfoProof(victim, token);
      expect((await userinfo(`DPoP ${token}`, captured)).status).toBe(200);
      await expectUserinfoChallenge(await userinfo(`DPoP ${token}`, captured), 'invalid_dpop_proof');
    });
  });

  describe('RFC 9449 §11.1 proofs made for another request', () => {
    it('MUST refuse a proof for another URL (htu)', async () => {
      await expectRefusedAtToken(await proof(victim, { htu: 'https://other-server.example/token' }));
      await expectRefusedAtToken(await proof(victim, { htu: `${rig.issuer}/userinfo` }));
    });

    it('MUST refuse a proof for another method (htm)', async () => {
      await expectRefusedAtToken(await proof(victim, { htm: 'GET' }));
    });

    it('MUST refuse a stale proof and one dated in the future (pre-generated)', async () => {
      await expectRefusedAtToken(await proof(victim, { iat: now() - 300 }));
      await expectRefusedAtToken(await proof(victim, { iat: now() + 300 }));
    });
  });

  describe('RFC 9449 §11.4 and §4.3 untrustworthy proofs', () => {
    it('MUST refuse an unsigned proof (alg none)', async () => {
      await expectRefusedAtToken(unsignedProof(victim, { jti: 'none-1', htm: 'POST', htu: tokenUrl(), iat: now() }));
    });

    it('MUST refuse a proof MACed with HS256', async () => {
      const secret = new TextEncoder().encode('attacker-chosen secret of sufficient length!');
      const mac = await new SignJWT({ jti: 'hs-1', htm: 'POST', htu: tokenUrl(), iat: now() })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } as never }).sign(secret);
      await expectRefusedAtToken(mac);
    });

    it('MUST refuse a proof whose jwk carries the private key', async () => {
      await expectRefusedAtToken(await proof(victim, { header: { jwk: await exportJWK(victim.privateKey) } }));
    });
  });

  describe('RFC 9449 §7 and §11.6 stolen bound tokens', () => {
    it('MUST refuse a proof at UserInfo without ath (not tied to the token)', async () => {
      const { access_token: token } = await boundTokens();
      await expectUserinfoChallenge(await userinfo(`DPoP ${token}`, await userinfoProof(victim, undefined)), 'invalid_dpop_proof');
    });

    it('MUST refuse a DPoP-bound token presented as a bearer token', async () => {
      const { access_token: token } = await boundTokens();
      await expectUserinfoChallenge(await userinfo(`Bearer ${token}`), 'invalid_token');
    });

    it('MUST refuse a stolen bound token used with the thief\'s own key, even with a correct ath', async () => {
      const { access_token: token } = await boundTokens(victim);
      await expectUserinfoChallenge(await userinfo(`DPoP ${token}`, await userinfoProof(attacker, token)), 'invalid_token');
    });

    it('MUST refuse a public client\'s stolen refresh token used with another key or without a proof', async () => {
      const { refresh_token: refreshToken } = await boundTokens(victim, 'public');
      const form = { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'public' };
      await expectJsonError(rig, async () => rig.post('/token', form, { DPoP: await proof(attacker) }), 400, 'invalid_grant');
      await expectJsonError(rig, () => rig.post('/token', form), 400, 'invalid_dpop_proof');
      // The rightful holder still refreshes: the thief's attempts used nothing up.
      expect((await rig.post('/token', form, { DPoP: await proof(victim) })).status).toBe(200);
    });
  });

  describe('RFC 9449 §10 and §11.9 authorization code binding', () => {
    it('MUST refuse a code requested with dpop_jkt when an attacker redeems it with another key', async () => {
      const form = await codeForm({ dpop_jkt: victim.jkt });
      await expectJsonError(rig, async () => rig.post('/token', form, { ...credentials(), DPoP: await proof(attacker) }), 400, 'invalid_grant');
      const res = await rig.post('/token', form, { ...credentials(), DPoP: await proof(victim) });
      expect(res.status).toBe(200);
    });

    it('refuses a malformed dpop_jkt at the authorization endpoint', async () => {
      const res = await rig.authorize({ response_type: 'code', client_id: 'web', redirect_uri: 'https://rp.example/cb', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', dpop_jkt: 'not-a-thumbprint' });
      expect(res.status).toBe(303);
      expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    });
  });
});
