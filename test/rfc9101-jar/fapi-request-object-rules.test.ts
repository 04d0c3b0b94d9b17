import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { fapiRequestObjectRules, isFapiClient } from '../../src/rfc9101-jar/fapi-request-object-rules.js';
import type { ClientRecord } from '../../src/storage/stores.js';

const now = 1_800_000_000;
const valid = { iss: 'c', aud: 'https://as.example', exp: now + 300, nbf: now };
const codeOf = (object: Parameters<typeof fapiRequestObjectRules>[0]) => {
  try {
    fapiRequestObjectRules(object);
    return undefined;
  } catch (error) {
    return (error as OAuthError).code;
  }
};

describe('FAPI 2.0 Message Signing request object rules', () => {
  it('MUST accept a PS256, ES256 or EdDSA object with iss, aud, exp and nbf within the windows', () => {
    for (const alg of ['PS256', 'ES256', 'EdDSA']) expect(codeOf({ alg, claims: valid, now })).toBeUndefined();
  });

  it('MUST refuse RS256 and none', () => {
    expect(codeOf({ alg: 'RS256', claims: valid, now })).toBe('invalid_request_object');
    expect(codeOf({ alg: 'none', claims: valid, now })).toBe('invalid_request_object');
  });

  it('MUST require iss, aud, exp and nbf', () => {
    for (const claim of ['iss', 'aud', 'exp', 'nbf']) {
      const { [claim as keyof typeof valid]: _removed, ...claims } = valid;
      expect(codeOf({ alg: 'PS256', claims, now })).toBe('invalid_request_object');
    }
  });

  it('MUST refuse an object valid for more than 60 minutes (exp - nbf)', () => {
    expect(codeOf({ alg: 'PS256', claims: { ...valid, exp: now + 3_600 }, now })).toBeUndefined();
    expect(codeOf({ alg: 'PS256', claims: { ...valid, exp: now + 3_601 }, now })).toBe('invalid_request_object');
  });

  it('MUST refuse an nbf more than 60 minutes in the past', () => {
    expect(codeOf({ alg: 'PS256', claims: { ...valid, nbf: now - 3_600, exp: now }, now })).toBeUndefined();
    expect(codeOf({ alg: 'PS256', claims: { ...valid, nbf: now - 3_601, exp: now - 1 }, now })).toBe('invalid_request_object');
  });

  it('applies to clients that require signed request objects under the fapi2 profile only', () => {
    const client = (metadata: Record<string, unknown>) => ({ metadata }) as unknown as ClientRecord;
    expect(isFapiClient(client({ require_signed_request_object: true, profile: 'fapi2' }))).toBe(true);
    expect(isFapiClient(client({ require_signed_request_object: true }))).toBe(false);
    expect(isFapiClient(client({ profile: 'fapi2' }))).toBe(false);
  });
});
