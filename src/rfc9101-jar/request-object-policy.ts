/**
 * Who must send request objects, and whose request objects must be signed: the two rules the PAR
 * endpoint, /authorize and the request object verification share, so they cannot drift apart.
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-10.5 (require_signed_request_object)
 * @spec https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata (request_object_signing_alg)
 */
import type { ClientMetadata } from '../storage/stores.js';

/**
 * RFC 9101 §10.5: require_signed_request_object is the one metadata that makes request objects
 * mandatory: a plain request is refused, at /authorize and at the PAR endpoint alike.
 */
export function requiresSignedRequestObject(metadata: Pick<ClientMetadata, 'require_signed_request_object'>): boolean {
  return metadata.require_signed_request_object === true;
}

/**
 * Whether a request object this client sends must be signed: always when request objects are
 * required, and also when it registered a request_object_signing_alg other than none (OIDC
 * Registration: objects are then signed with that alg). Such a client may still send plain requests.
 */
export function requestObjectsMustBeSigned(metadata: Pick<ClientMetadata, 'require_signed_request_object' | 'request_object_signing_alg'>): boolean {
  const alg = metadata.request_object_signing_alg;
  return requiresSignedRequestObject(metadata) || (alg !== undefined && alg !== 'none');
}
