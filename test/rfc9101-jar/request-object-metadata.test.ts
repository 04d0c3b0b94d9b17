import { describe, expect, it } from 'vitest';
import { validateClientMetadata } from '../../src/clients/client-metadata.js';
import { OAuthError } from '../../src/errors/oauth-error.js';

const base = { redirect_uris: ['https://rp.example/cb'], jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } };
const codeOf = (input: Record<string, unknown>, production = false) => {
  try {
    validateClientMetadata({ ...base, ...input }, { production });
    return undefined;
  } catch (error) {
    return (error as OAuthError).code;
  }
};

describe('RFC 9101 and RFC 9126 client metadata', () => {
  it('MUST accept the booleans require_pushed_authorization_requests and require_signed_request_object', () => {
    expect(codeOf({ require_pushed_authorization_requests: true, require_signed_request_object: true })).toBeUndefined();
    expect(codeOf({ require_pushed_authorization_requests: 'yes' })).toBe('invalid_client_metadata');
    expect(codeOf({ require_signed_request_object: 1 })).toBe('invalid_client_metadata');
  });

  it('MUST accept only supported request_object_signing_alg values, and keys for a signing one', () => {
    for (const alg of ['none', 'RS256', 'PS256', 'ES256', 'EdDSA']) expect(codeOf({ request_object_signing_alg: alg })).toBeUndefined();
    expect(codeOf({ request_object_signing_alg: 'HS256' })).toBe('invalid_client_metadata');
    expect(codeOf({ request_object_signing_alg: 'none', require_signed_request_object: true })).toBe('invalid_client_metadata');
    expect(codeOf({ request_object_signing_alg: 'ES256', jwks: undefined })).toBe('invalid_client_metadata');
  });

  it('MUST check request_uris like every URL the server fetches', () => {
    expect(codeOf({ request_uris: ['https://rp.example/request.jwt#abc'] }, true)).toBeUndefined();
    expect(codeOf({ request_uris: ['http://rp.example/request.jwt'] }, true)).toBe('invalid_client_metadata');
    expect(codeOf({ request_uris: ['https://169.254.169.254/latest'] })).toBe('invalid_client_metadata');
    expect(codeOf({ request_uris: 'https://rp.example/r' })).toBe('invalid_client_metadata');
  });
});
