import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointUrls, htuMatches, normaliseHtu } from '../../src/rfc9449-dpop/dpop-htu.js';
import { verifyDpopProof } from '../../src/rfc9449-dpop/dpop-proof.js';
import { dpopKey, dpopProof, type DpopKey } from '../support/dpop-proofs.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`RFC 9449 §4.3 htu against the endpoint's published URLs (${backendName})`, () => {
  it('MUST compare htu after RFC 3986 normalisation, without query and fragment', () => {
    expect(normaliseHtu('HTTPS://Example.COM:443/%74oken?x=1#f')).toBe('https://example.com/token');
    expect(htuMatches('https://example.com/token?x=1', 'https://example.com/token')).toBe(true);
    expect(htuMatches('https://example.com/userinfo', 'https://example.com/token')).toBe(false);
    expect(htuMatches('https://user@example.com/token', 'https://example.com/token')).toBe(false);
  });

  describe('with an mTLS alias host (MTLS_BASE_URL, RFC 8705 §5)', () => {
    let ctx: TestContext;
    let key: DpopKey;
    beforeAll(async () => {
      ctx = await createTestContext({ mtlsBaseUrl: 'https://mtls.localhost:3443' });
      key = await dpopKey('ES256');
    });
    afterAll(() => ctx.close());

    it('publishes the endpoint under the issuer and under the alias', () => {
      expect(endpointUrls(ctx, '/token')).toEqual(['http://localhost:3000/token', 'https://mtls.localhost:3443/token']);
    });

    it('MUST accept a proof made for the alias URL of the endpoint, where a certificate-bound client calls it', async () => {
      const check = { method: 'POST', url: endpointUrls(ctx, '/token') };
      const proof = await dpopProof(key, { htu: 'https://mtls.localhost:3443/token', iat: ctx.clock() });
      expect((await verifyDpopProof(ctx, proof, check)).jkt).toBe(key.jkt);
    });

    it('MUST still refuse a proof for another endpoint of the alias host, or for another host', async () => {
      const check = { method: 'POST', url: endpointUrls(ctx, '/token') };
      for (const htu of ['https://mtls.localhost:3443/userinfo', 'https://elsewhere.example/token']) {
        const refused = await verifyDpopProof(ctx, await dpopProof(key, { htu, iat: ctx.clock() }), check).then(() => undefined, (error: { code?: string }) => error.code);
        expect(refused).toBe('invalid_dpop_proof');
      }
    });
  });

  it('without MTLS_BASE_URL the endpoint has its issuer URL only', async () => {
    const plain = await createTestContext();
    try {
      expect(endpointUrls(plain, '/token')).toEqual(['http://localhost:3000/token']);
    } finally {
      await plain.close();
    }
  });
});
