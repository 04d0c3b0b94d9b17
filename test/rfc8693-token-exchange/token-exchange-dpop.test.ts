/**
 * Exchanged tokens can be sender-constrained: an exchange request with a DPoP proof gets a token
 * bound to the exchanging client's key (RFC 9449 §5, through the token endpoint's one DPoP phase).
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '../../src/clients/client-metadata.js';
import { dpopKey, dpopProof, type DpopKey } from '../support/dpop-proofs.js';
import { basic, postToken, SECRET } from '../support/token-fixtures.js';
import { API, CALENDAR } from '../support/token-lifecycle-fixtures.js';
import { AT, exchangeRig, JWT, type ExchangeRig } from '../support/token-exchange-fixtures.js';
import { backendName } from '../support/test-context.js';

describe(`RFC 8693 token exchange with DPoP (${backendName})`, () => {
  let rig: ExchangeRig;
  let key: DpopKey;
  beforeAll(async () => {
    rig = await exchangeRig();
    key = await dpopKey();
  });
  afterAll(() => rig.close());

  const boundExchange = async (form: Record<string, string>) => {
    const subject = await rig.codeTokens('web', { scope: 'openid profile', resource: [API, CALENDAR] });
    return postToken(rig.app, { grant_type: TOKEN_EXCHANGE_GRANT_TYPE, subject_token: subject.access_token, subject_token_type: AT, audience: CALENDAR, ...form }, {
      authorization: basic('gateway', SECRET),
      DPoP: await dpopProof(key, { htu: 'http://localhost:3000/token' }),
    });
  };

  it('binds an exchanged opaque access token to the proof\'s key: token_type DPoP, cnf.jkt at introspection', async () => {
    const response = await boundExchange({});
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'DPoP', issued_token_type: AT });
    const introspection = (await rig.introspect({ token: response.body.access_token }, 'gateway')).body;
    expect(introspection).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
  });

  it('puts cnf.jkt into an exchanged JWT (requested_token_type jwt)', async () => {
    const response = await boundExchange({ requested_token_type: JWT });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'DPoP', issued_token_type: JWT });
    expect(decodeJwt(response.body.access_token).cnf).toEqual({ jkt: key.jkt });
  });
});
