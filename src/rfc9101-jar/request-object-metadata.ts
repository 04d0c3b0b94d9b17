/**
 * Client metadata of request objects and pushed requests: require_pushed_authorization_requests,
 * require_signed_request_object, request_object_signing_alg and request_uris, checked at
 * registration (CLI, seed file, dynamic registration) with invalid_client_metadata.
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-6 (require_pushed_authorization_requests, a boolean)
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-10.5 (require_signed_request_object, a boolean)
 * @spec https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata (request_object_signing_alg, request_uris)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { REQUEST_OBJECT_SIGNING_ALGS } from './request-object.js';

const fail = (description: string) => new OAuthError('invalid_client_metadata', description, { requirement: 'RFC9101-10.5-3' });

/** Algorithms a client may register: the verified ones, or none for unsigned objects. */
export const REGISTRABLE_REQUEST_OBJECT_ALGS = ['none', ...REQUEST_OBJECT_SIGNING_ALGS] as const;

/**
 * Throws invalid_client_metadata for a malformed value; `checkFetchedUri` is the registration's
 * check of URLs the server will fetch (outbound policy, no private addresses in production).
 */
export function validateRequestObjectMetadata(input: Record<string, unknown>, checkFetchedUri: (name: string, uri: string) => void): void {
  for (const name of ['require_pushed_authorization_requests', 'require_signed_request_object']) {
    if (input[name] !== undefined && typeof input[name] !== 'boolean') throw fail(`${name} must be a boolean`);
  }
  const alg = input.request_object_signing_alg;
  if (alg !== undefined && !(REGISTRABLE_REQUEST_OBJECT_ALGS as readonly unknown[]).includes(alg)) {
    throw fail(`request_object_signing_alg must be one of ${REGISTRABLE_REQUEST_OBJECT_ALGS.join(', ')}`);
  }
  if (alg === 'none' && input.require_signed_request_object === true) throw fail('request_object_signing_alg none contradicts require_signed_request_object');
  if (alg !== undefined && alg !== 'none' && input.jwks === undefined && input.jwks_uri === undefined) {
    throw fail('a signed request object needs the client keys: register jwks or jwks_uri');
  }
  const uris = input.request_uris;
  if (uris === undefined) return;
  if (!Array.isArray(uris) || uris.some((uri) => typeof uri !== 'string')) throw fail('request_uris must be an array of strings');
  // OIDC Registration: a registered request_uri may end in a fragment (a hash of the file's content), never fetched.
  for (const uri of uris as string[]) checkFetchedUri('request_uris', uri.split('#')[0]);
}
