import { describe, expect, it } from 'vitest';
import { ISSUABLE_TOKEN_TYPES, isTokenType, tokenTypeFromName, TOKEN_TYPES } from '../../src/rfc8693-token-exchange/token-types.js';

describe('RFC 8693 §3 token type identifiers', () => {
  it('knows the four accepted types by URN and by short name, and nothing else', () => {
    expect(tokenTypeFromName('jwt')).toBe('urn:ietf:params:oauth:token-type:jwt');
    expect(tokenTypeFromName(TOKEN_TYPES.id_token)).toBe(TOKEN_TYPES.id_token);
    expect(tokenTypeFromName('saml2')).toBeUndefined();
    expect(isTokenType('urn:ietf:params:oauth:token-type:saml1')).toBe(false);
    expect(ISSUABLE_TOKEN_TYPES).toEqual([TOKEN_TYPES.access_token, TOKEN_TYPES.jwt]);
  });
});
