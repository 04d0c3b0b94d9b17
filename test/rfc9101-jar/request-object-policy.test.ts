/**
 * The two request object rules shared by the PAR endpoint, /authorize and the verification.
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-10.5 (require_signed_request_object)
 * @spec https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata (request_object_signing_alg)
 */
import { describe, expect, it } from 'vitest';
import { requestObjectsMustBeSigned, requiresSignedRequestObject } from '../../src/rfc9101-jar/request-object-policy.js';

describe('RFC 9101 §10.5 request object policy', () => {
  it('MUST require request objects only of a client registered with require_signed_request_object', () => {
    expect(requiresSignedRequestObject({ require_signed_request_object: true })).toBe(true);
    expect(requiresSignedRequestObject({ require_signed_request_object: false })).toBe(false);
    expect(requiresSignedRequestObject({})).toBe(false);
  });

  it('MUST require a signature on the objects of such a client, and of one that registered a signing alg other than none', () => {
    expect(requestObjectsMustBeSigned({ require_signed_request_object: true })).toBe(true);
    expect(requestObjectsMustBeSigned({ request_object_signing_alg: 'PS256' })).toBe(true);
    expect(requestObjectsMustBeSigned({ request_object_signing_alg: 'none' })).toBe(false);
    expect(requestObjectsMustBeSigned({})).toBe(false);
  });

  it('lets a client that registered a signing alg, without require_signed_request_object, still send plain requests', () => {
    const metadata: { request_object_signing_alg?: string; require_signed_request_object?: boolean } = { request_object_signing_alg: 'ES256' };
    expect(requestObjectsMustBeSigned(metadata)).toBe(true);
    expect(requiresSignedRequestObject(metadata)).toBe(false);
  });
});
