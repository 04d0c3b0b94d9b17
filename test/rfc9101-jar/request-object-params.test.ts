import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { requestObjectParams } from '../../src/rfc9101-jar/request-object-params.js';

describe('RFC 9101 §4 request object claims as authorization request parameters', () => {
  it('MUST turn claims into parameters and leave out the JWT claims', () => {
    const params = requestObjectParams({
      iss: 'c', aud: 'as', exp: 1, nbf: 1, iat: 1, jti: 'j', client_id: 'c', scope: 'openid', max_age: 60,
      claims: { id_token: { acr: null } }, resource: ['https://api.example/'], state: '',
    });
    expect({ ...params }).toEqual({ client_id: 'c', scope: 'openid', max_age: '60', claims: '{"id_token":{"acr":null}}', resource: ['https://api.example/'] });
  });

  it('MUST refuse request or request_uri inside a request object', () => {
    for (const nested of [{ request: 'a.b.c' }, { request_uri: 'https://rp.example/r' }]) {
      expect(() => requestObjectParams({ client_id: 'c', ...nested })).toThrow(OAuthError);
      try {
        requestObjectParams({ client_id: 'c', ...nested });
      } catch (error) {
        expect((error as OAuthError).code).toBe('invalid_request_object');
      }
    }
  });
});
