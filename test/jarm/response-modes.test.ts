/**
 * Which response_mode values mean a JWT response for the code flow, and what carries the JWT.
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-2.3
 */
import { describe, expect, it } from 'vitest';
import { carrierMode, isJwtResponseMode, jwtResponseMode, JWT_RESPONSE_MODES } from '../../src/jarm/response-modes.js';
import { providerMetadata } from '../../src/oidc-discovery/provider-metadata.js';
import { checkResponseMode } from '../../src/rfc6749-oauth2/authorization-request.js';
import { loadConfig } from '../../src/config/config.js';
import { SUPPORTED_ALGS } from '../../src/tokens/keystore.js';
import '../../src/server/authorization-endpoint.js';
import type { AuthorizationRequestParams } from '../../src/rfc6749-oauth2/authorization-request.schema.js';

const params = (mode: string) => ({ client_id: 'c', redirect_uri: 'https://c.example/cb', response_mode: mode }) as AuthorizationRequestParams;

describe('JARM §2.3 response modes', () => {
  it('MUST treat jwt as the default JWT mode of response_type code: query.jwt (§2.3.4)', () => {
    expect(jwtResponseMode('jwt')).toBe('query.jwt');
    expect(checkResponseMode(params('jwt'))).toBe('query.jwt');
  });

  it('MUST accept query.jwt and form_post.jwt, each carried by its plain mode', () => {
    expect(checkResponseMode(params('query.jwt'))).toBe('query.jwt');
    expect(checkResponseMode(params('form_post.jwt'))).toBe('form_post.jwt');
    expect(carrierMode('query.jwt')).toBe('query');
    expect(carrierMode('form_post.jwt')).toBe('form_post');
  });

  it('MUST refuse fragment.jwt with invalid_request: fragment encoding is for response types Castellan does not serve', () => {
    expect(() => checkResponseMode(params('fragment.jwt'))).toThrow(expect.objectContaining({ code: 'invalid_request', requirement: 'JARM-2.3-2' }));
  });

  it('names no JWT mode for the plain modes or unknown values', () => {
    for (const mode of ['query', 'form_post', 'fragment', 'JWT', 'query.JWT', undefined]) expect(jwtResponseMode(mode)).toBeUndefined();
    expect(isJwtResponseMode('query')).toBe(false);
  });

  it('MUST advertise the JWT modes and the algs it signs responses with (§4)', () => {
    const metadata = providerMetadata(loadConfig({}));
    expect(metadata.response_modes_supported).toEqual(expect.arrayContaining([...JWT_RESPONSE_MODES]));
    expect(metadata.authorization_signing_alg_values_supported).toEqual([...SUPPORTED_ALGS]);
  });
});
