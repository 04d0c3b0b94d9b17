import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimedIssuer, trustedIssuer, verifyTrustedJwt } from '../../src/rfc8693-token-exchange/trusted-issuers.js';
import { startFaultyJwksServer } from '../support/faulty-jwks-server.js';
import { EXTERNAL_ISSUER, exchangeRig, type ExchangeRig } from '../support/token-exchange-fixtures.js';

describe('RFC 8693 §2.1 JWTs of trusted issuers', () => {
  let rig: ExchangeRig;
  beforeAll(async () => {
    rig = await exchangeRig();
  });
  afterAll(() => rig.close());

  it('verifies against the issuer\'s JWKS, fetched once and cached', async () => {
    const trusted = trustedIssuer(rig.ctx, EXTERNAL_ISSUER)!;
    const before = rig.idp.fetches;
    expect(await verifyTrustedJwt(rig.ctx, await rig.idp.sign({ sub: 'one' }), trusted, 'subject_token')).toMatchObject({ sub: 'one', iss: EXTERNAL_ISSUER });
    expect(await verifyTrustedJwt(rig.ctx, await rig.idp.sign({ sub: 'two' }), trusted, 'subject_token')).toMatchObject({ sub: 'two' });
    expect(rig.idp.fetches - before).toBeLessThanOrEqual(1);
  });

  it('answers 503 temporarily_unavailable, not invalid_request, while the issuer\'s jwks_uri is down', async () => {
    const jwks = await startFaultyJwksServer({ keys: [] });
    try {
      const down = { issuer: EXTERNAL_ISSUER, jwks_uri: `${jwks.base}/down` };
      await expect(verifyTrustedJwt(rig.ctx, await rig.idp.sign({ sub: 'x' }), down, 'subject_token')).rejects.toMatchObject({ code: 'temporarily_unavailable', status: 503 });
    } finally {
      await jwks.close();
    }
  });

  it('MUST refuse an expired token, one without sub, and a signature by an unpublished key (invalid_request)', async () => {
    const trusted = trustedIssuer(rig.ctx, EXTERNAL_ISSUER)!;
    const expired = await rig.idp.sign({ sub: 'x', exp: rig.ctx.clock() - 10 });
    for (const token of [expired, await rig.idp.sign({}), await rig.idp.sign({ sub: 'x' }, { key: rig.idp.strangerKey })]) {
      await expect(verifyTrustedJwt(rig.ctx, token, trusted, 'actor_token')).rejects.toMatchObject({ code: 'invalid_request' });
    }
  });

  it('reads the claimed issuer only to choose keys, and knows only configured issuers', async () => {
    expect(claimedIssuer(await rig.idp.sign({ sub: 'x' }))).toBe(EXTERNAL_ISSUER);
    expect(claimedIssuer('not-a-jwt')).toBeUndefined();
    expect(trustedIssuer(rig.ctx, 'https://evil.example')).toBeUndefined();
  });
});
