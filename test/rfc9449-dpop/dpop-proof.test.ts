import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { DPOP_SIGNING_ALGS, dpopHeader, verifyDpopProof } from '../../src/rfc9449-dpop/dpop-proof.js';
import { currentNonce } from '../../src/rfc9449-dpop/dpop-nonce.js';
import { dpopKey, dpopProof, unsignedProof, type DpopKey } from '../support/dpop-proofs.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const TOKEN_URL = 'http://localhost:3000/token';

async function refusal(work: Promise<unknown>): Promise<OAuthError> {
  const error = await work.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

const requestWith = (rawHeaders: string[]) => ({ rawHeaders });

describe(`RFC 9449 DPoP proofs (${backendName})`, () => {
  let ctx: TestContext;
  let key: DpopKey;
  const check = { method: 'POST', url: TOKEN_URL };
  const proof = (options: Partial<Parameters<typeof dpopProof>[1]> = {}) => dpopProof(key, { htu: TOKEN_URL, iat: ctx.clock(), ...options });

  beforeAll(async () => {
    ctx = await createTestContext();
    key = await dpopKey('ES256');
  });
  afterAll(() => ctx.close());

  describe('RFC 9449 §4.3 a valid proof', () => {
    it('MUST accept a proof signed with its own jwk and give the RFC 7638 thumbprint of that key', async () => {
      expect(await verifyDpopProof(ctx, await proof(), check)).toEqual({ jkt: key.jkt, alg: 'ES256' });
    });

    it.each(DPOP_SIGNING_ALGS.filter((alg) => alg !== 'ES256'))('accepts %s, an advertised asymmetric algorithm', async (alg) => {
      const other = await dpopKey(alg);
      expect((await verifyDpopProof(ctx, await dpopProof(other, { htu: TOKEN_URL, iat: ctx.clock() }), check)).jkt).toBe(other.jkt);
    });
  });

  describe('RFC 9449 §4.3 header checks', () => {
    it('MUST refuse a proof whose typ is not dpop+jwt', async () => {
      expect((await refusal(verifyDpopProof(ctx, await proof({ header: { typ: 'JWT' } }), check))).code).toBe('invalid_dpop_proof');
      expect((await refusal(verifyDpopProof(ctx, await proof({ header: { typ: undefined } }), check))).code).toBe('invalid_dpop_proof');
    });

    it('MUST refuse an unsigned proof (alg none)', async () => {
      const unsigned = unsignedProof(key, { jti: 'j-none', htm: 'POST', htu: TOKEN_URL, iat: ctx.clock() });
      const error = await refusal(verifyDpopProof(ctx, unsigned, check));
      expect(error.code).toBe('invalid_dpop_proof');
      expect(error.status).toBe(400);
    });

    it('MUST refuse a proof MACed with a symmetric algorithm (HS256)', async () => {
      const secret = new TextEncoder().encode('a shared secret that is long enough for HS256!');
      const mac = await new SignJWT({ jti: 'j-hs', htm: 'POST', htu: TOKEN_URL, iat: ctx.clock() })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } as never }).sign(secret);
      expect((await refusal(verifyDpopProof(ctx, mac, check))).description).toMatch(/alg/);
    });

    it('MUST refuse a jwk that carries the private key', async () => {
      const exported = await (await import('jose')).exportJWK(key.privateKey);
      expect((await refusal(verifyDpopProof(ctx, await proof({ header: { jwk: exported } }), check))).description).toMatch(/public key/);
    });

    it('MUST refuse a proof without a jwk', async () => {
      expect((await refusal(verifyDpopProof(ctx, await proof({ header: { jwk: undefined } }), check))).code).toBe('invalid_dpop_proof');
    });

    it('MUST refuse a proof whose signature does not verify with its jwk', async () => {
      const other = await dpopKey('ES256');
      const forged = await dpopProof(key, { htu: TOKEN_URL, iat: ctx.clock(), header: { jwk: other.publicJwk } });
      expect((await refusal(verifyDpopProof(ctx, forged, check))).description).toMatch(/signature/);
    });

    it('MUST refuse something that is not a JWT', async () => {
      expect((await refusal(verifyDpopProof(ctx, 'not-a-jwt', check))).code).toBe('invalid_dpop_proof');
      expect((await refusal(verifyDpopProof(ctx, 'a.b.c', check))).code).toBe('invalid_dpop_proof');
    });
  });

  describe('RFC 9449 §4.3 claim checks', () => {
    it('MUST refuse a proof for another method (htm)', async () => {
      expect((await refusal(verifyDpopProof(ctx, await proof({ htm: 'GET' }), check))).description).toMatch(/htm/);
    });

    it('MUST refuse a proof for another URL (htu)', async () => {
      expect((await refusal(verifyDpopProof(ctx, await proof({ htu: 'http://localhost:3000/userinfo' }), check))).description).toMatch(/htu/);
      expect((await refusal(verifyDpopProof(ctx, await proof({ htu: 'https://localhost:3000/token' }), check))).description).toMatch(/htu/);
    });

    it('MUST compare htu without query and fragment, after syntax- and scheme-based normalisation', async () => {
      for (const htu of ['http://localhost:3000/token?x=1#f', 'HTTP://LOCALHOST:3000/%74oken', 'http://localhost:3000/a/../token']) {
        expect((await verifyDpopProof(ctx, await proof({ htu }), check)).jkt).toBe(key.jkt);
      }
      const prefixed = { method: 'POST', url: 'https://id.example.com/auth/token' };
      expect((await verifyDpopProof(ctx, await proof({ htu: 'https://id.example.com:443/auth/token' }), prefixed)).jkt).toBe(key.jkt);
      expect((await refusal(verifyDpopProof(ctx, await proof({ htu: 'https://id.example.com/token' }), prefixed))).description).toMatch(/htu/);
    });

    it('MUST refuse a proof without jti, htm, htu or iat', async () => {
      for (const claim of ['jti', 'htm', 'htu', 'iat']) {
        expect((await refusal(verifyDpopProof(ctx, await proof({ claims: { [claim]: undefined } }), check))).code).toBe('invalid_dpop_proof');
      }
    });

    it('MUST refuse a proof older than DPOP_PROOF_MAX_AGE, and one from too far in the future', async () => {
      expect((await refusal(verifyDpopProof(ctx, await proof({ iat: ctx.clock() - 61 }), check))).description).toMatch(/too old/);
      expect((await refusal(verifyDpopProof(ctx, await proof({ iat: ctx.clock() + 11 }), check))).description).toMatch(/future/);
      expect((await verifyDpopProof(ctx, await proof({ iat: ctx.clock() - 60 }), check)).jkt).toBe(key.jkt);
    });

    it('MUST accept by default a proof whose iat lies up to 10 seconds in the future (FAPI 2.0 SP §5.3.2.1)', async () => {
      expect(ctx.config.dpopProofClockSkew).toBe(10);
      expect((await verifyDpopProof(ctx, await proof({ iat: ctx.clock() + 10 }), check)).jkt).toBe(key.jkt);
    });

    it('MUST accept a jti only once within the window', async () => {
      const once = await proof({ jti: 'only-once' });
      await verifyDpopProof(ctx, once, check);
      expect((await refusal(verifyDpopProof(ctx, once, check))).description).toMatch(/already used/);
      // Another proof reusing the jti is refused as well: the jti, not the proof text, is remembered.
      expect((await refusal(verifyDpopProof(ctx, await proof({ jti: 'only-once', htm: 'POST' }), check))).description).toMatch(/already used/);
    });

    it('MUST check ath against the access token presented with the proof', async () => {
      const resource = { method: 'GET', url: 'http://localhost:3000/userinfo', accessToken: 'token-abc' };
      const base = { htm: 'GET', htu: 'http://localhost:3000/userinfo' };
      expect((await verifyDpopProof(ctx, await proof({ ...base, accessToken: 'token-abc' }), resource)).jkt).toBe(key.jkt);
      expect((await refusal(verifyDpopProof(ctx, await proof(base), resource))).description).toMatch(/ath/);
      expect((await refusal(verifyDpopProof(ctx, await proof({ ...base, accessToken: 'token-xyz' }), resource))).description).toMatch(/ath/);
    });
  });

  describe('RFC 9449 §4.1 the DPoP header', () => {
    it('MUST refuse a request with more than one DPoP header', () => {
      expect(() => dpopHeader(requestWith(['DPoP', 'a.b.c', 'DPoP', 'd.e.f']))).toThrow(/exactly one/);
      expect(() => dpopHeader(requestWith(['DPoP', 'a.b.c, d.e.f']))).toThrow(/exactly one/);
      expect(dpopHeader(requestWith(['Host', 'x', 'dpop', 'a.b.c']))).toBe('a.b.c');
      expect(dpopHeader(requestWith([]))).toBeUndefined();
    });
  });

  describe('RFC 9449 §8 server nonces', () => {
    let strict: TestContext;
    beforeAll(async () => {
      strict = await createTestContext({ dpopNonceRequired: true });
    });
    afterAll(() => strict.close());
    const strictProof = (options: Partial<Parameters<typeof dpopProof>[1]> = {}) => dpopProof(key, { htu: TOKEN_URL, iat: strict.clock(), ...options });

    it('MUST answer use_dpop_nonce with a DPoP-Nonce header when the nonce is missing', async () => {
      const error = await refusal(verifyDpopProof(strict, await strictProof(), check));
      expect(error.code).toBe('use_dpop_nonce');
      expect(error.headers['DPoP-Nonce']).toBe(currentNonce(strict));
    });

    it('accepts the current nonce and the one of the previous slot, not older or forged ones', async () => {
      const nonce = currentNonce(strict);
      expect((await verifyDpopProof(strict, await strictProof({ nonce }), check)).jkt).toBe(key.jkt);
      strict.clock.advance(strict.config.dpopNonceLifetime);
      expect((await verifyDpopProof(strict, await strictProof({ nonce }), check)).jkt).toBe(key.jkt);
      strict.clock.advance(strict.config.dpopNonceLifetime);
      expect((await refusal(verifyDpopProof(strict, await strictProof({ nonce }), check))).code).toBe('use_dpop_nonce');
      const forged = `${currentNonce(strict).split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA`;
      expect((await refusal(verifyDpopProof(strict, await strictProof({ nonce: forged }), check))).code).toBe('use_dpop_nonce');
      // Another node with another master key cannot mint nonces this one accepts.
      expect((await refusal(verifyDpopProof(strict, await strictProof({ nonce: currentNonce(ctx) }), check))).code).toBe('use_dpop_nonce');
    });
  });
});
