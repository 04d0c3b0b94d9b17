/**
 * The signing algs a client registers for its signed responses: ID token, UserInfo and JARM.
 * @spec https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-3
 */
import { describe, expect, it } from 'vitest';
import { RESPONSE_SIGNING_ALG_METADATA, validateClientMetadata } from '../../src/clients/client-metadata.js';
import { SUPPORTED_ALGS } from '../../src/tokens/keystore.js';

const base = { redirect_uris: ['https://rp.example/cb'] };
const validate = (extra: Record<string, unknown>) => validateClientMetadata({ ...base, ...extra }, { production: false });

describe('client metadata: response signing algs', () => {
  describe.each([...RESPONSE_SIGNING_ALG_METADATA])('%s', (name) => {
    it.each([...SUPPORTED_ALGS])('accepts %s, an alg the server holds keys for', (alg) => {
      expect(validate({ [name]: alg })[name]).toBe(alg);
    });

    it.each(['none', 'HS256', 'RS512', 42])('MUST refuse %j with invalid_client_metadata', (alg) => {
      expect(() => validate({ [name]: alg })).toThrow(expect.objectContaining({ code: 'invalid_client_metadata' }));
    });
  });
});
