import { describe, expect, it } from 'vitest';
import { OPERATOR_ONLY_METADATA } from '../../src/clients/operator-metadata.js';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { registrationSchema, updateSchema, validateMetadataDocument } from '../../src/rfc7591-registration/registration.schema.js';

const failure = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return error as OAuthError;
  }
  throw new Error('expected a failure');
};

describe('RFC 7591 §2 registration document', () => {
  it('MUST ignore members it does not understand, at the top and inside jwks, but keeps JWK members', () => {
    const key = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' };
    const document = validateMetadataDocument(registrationSchema, { client_name: 'A', unknown: 1, jwks: { keys: [key], extra: true } });
    expect(document).toEqual({ client_name: 'A', jwks: { keys: [key] } });
  });

  it('leaves the caller\'s object untouched', () => {
    const input = { client_name: 'A', unknown: 1 };
    validateMetadataDocument(registrationSchema, input);
    expect(input).toEqual({ client_name: 'A', unknown: 1 });
  });

  it('treats null and empty-string members as omitted (RFC 7592 §2.2 lets them be ignored)', () => {
    expect(validateMetadataDocument(registrationSchema, { client_name: '', logo_uri: null, scope: 'openid' })).toEqual({ scope: 'openid' });
  });

  it('reports redirect URI problems as invalid_redirect_uri and others as invalid_client_metadata', () => {
    expect(failure(() => validateMetadataDocument(registrationSchema, { redirect_uris: [1] })).code).toBe('invalid_redirect_uri');
    expect(failure(() => validateMetadataDocument(registrationSchema, { post_logout_redirect_uris: 'x' })).code).toBe('invalid_redirect_uri');
    const grant = failure(() => validateMetadataDocument(registrationSchema, { grant_types: 'client_credentials' }));
    expect([grant.code, grant.description]).toEqual(['invalid_client_metadata', 'grant_types must be of type array']);
  });

  it('bounds every list and string', () => {
    expect(failure(() => validateMetadataDocument(registrationSchema, { redirect_uris: Array.from({ length: 21 }, (_, i) => `https://rp.example/${i}`) })).description).toBe('redirect_uris is too long');
    expect(failure(() => validateMetadataDocument(registrationSchema, { jwks: { keys: Array.from({ length: 21 }, () => ({ kty: 'EC' })) } })).description).toBe('jwks is too long');
    expect(failure(() => validateMetadataDocument(registrationSchema, { software_statement: 'x'.repeat(16_385) })).description).toBe('software_statement is too long');
  });

  it('declares the request object, pushed request and profile metadata', () => {
    const document = { require_pushed_authorization_requests: true, require_signed_request_object: false, request_object_signing_alg: 'PS256', request_uris: ['https://rp.example/r.jwt'], profile: 'fapi2' };
    expect(validateMetadataDocument(registrationSchema, document)).toEqual(document);
    expect(failure(() => validateMetadataDocument(registrationSchema, { request_uris: Array.from({ length: 21 }, (_, i) => `https://rp.example/${i}`) })).description).toBe('request_uris is too long');
    expect(failure(() => validateMetadataDocument(registrationSchema, { request_uris: [1] })).code).toBe('invalid_client_metadata');
  });

  it('drops the operator-only members from a registration and an update, and declares none of them', () => {
    const operator = { resources: ['https://api.example/'], served_resources: ['https://api.example/'], token_exchange: { audiences: ['a'] } };
    expect(validateMetadataDocument(registrationSchema, { client_name: 'A', ...operator })).toEqual({ client_name: 'A' });
    expect(validateMetadataDocument(updateSchema, { client_id: 'c1', ...operator })).toEqual({ client_id: 'c1' });
    for (const name of OPERATOR_ONLY_METADATA) expect([registrationSchema.properties[name], updateSchema.properties[name]]).toEqual([undefined, undefined]);
  });

  it('drops client_id and client_secret from a registration (the server assigns them)', () => {
    expect(validateMetadataDocument(registrationSchema, { client_id: 'mine', client_secret: 's'.repeat(40) })).toEqual({});
  });
});

describe('RFC 7592 §2.2 update document', () => {
  it('MUST require client_id', () => {
    const error = failure(() => validateMetadataDocument(updateSchema, { client_name: 'A' }));
    expect([error.code, error.description]).toEqual(['invalid_client_metadata', 'client_id is required']);
  });

  it('keeps client_id and client_secret and drops the registration fields', () => {
    const document = validateMetadataDocument(updateSchema, {
      client_id: 'c1', client_secret: 's'.repeat(40), registration_access_token: 't', registration_client_uri: 'u', client_id_issued_at: 1, client_secret_expires_at: 0,
    });
    expect(document).toEqual({ client_id: 'c1', client_secret: 's'.repeat(40) });
  });
});
