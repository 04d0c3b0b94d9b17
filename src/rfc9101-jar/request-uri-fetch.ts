/**
 * A request object passed by reference: an https request_uri that the client registered in its
 * request_uris, fetched through the guarded outbound client (no private addresses in production,
 * no redirects, bounded size and time). What it returns is a request object like any other.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RequestUriParameter
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-5.2 (request_uri by reference)
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-10.4 (request_uri and SSRF: registered URIs only)
 * @spec https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata (request_uris)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { outboundPolicy, safeFetch } from '../security/safe-fetch.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { REQUEST_OBJECT_MAX_LENGTH } from './request-object.js';

/** A request object is small; a slow or large answer is refused rather than waited for. */
const FETCH_TIMEOUT_MS = 3_000;

const withoutFragment = (uri: string) => uri.split('#')[0];

/** OIDC Registration: a registered URI may carry a fragment (a hash of its content); the fetch never does. */
export function isRegisteredRequestUri(client: ClientRecord, requestUri: string): boolean {
  const registered = client.metadata.request_uris;
  return Array.isArray(registered) && registered.some((uri) => typeof uri === 'string' && withoutFragment(uri) === withoutFragment(requestUri));
}

/** The request object found at `requestUri`, a registered URI of `client`; else invalid_request_uri. */
export async function fetchRequestObject(ctx: Context, client: ClientRecord, requestUri: string): Promise<string> {
  // A client that registered no request_uris does not use references: for it they are unsupported
  // (OIDC Core §6.2 with require_request_uri_registration), which is what its developer should read.
  if (!Array.isArray(client.metadata.request_uris) || client.metadata.request_uris.length === 0) {
    throw new OAuthError('request_uri_not_supported', 'this client registered no request_uris, so request_uri by reference is not available to it', { requirement: 'OIDC-6.2-1' });
  }
  // RFC 9101 §10.4: only registered URIs are fetched, so the server cannot be pointed at any address.
  if (!isRegisteredRequestUri(client, requestUri)) {
    throw new OAuthError('invalid_request_uri', 'the request_uri is not registered for this client', { requirement: 'OIDC-6.2-1' });
  }
  const policy = { ...outboundPolicy(ctx.config), timeoutMs: FETCH_TIMEOUT_MS, maxResponseBytes: REQUEST_OBJECT_MAX_LENGTH };
  try {
    const response = await safeFetch(withoutFragment(requestUri), { headers: { accept: 'application/oauth-authz-req+jwt, application/jwt' } }, policy);
    if (response.status !== 200) throw new Error(`the request_uri answered ${response.status}`);
    return response.body.toString('utf8').trim();
  } catch (error) {
    throw new OAuthError('invalid_request_uri', 'the request object could not be fetched from the request_uri', { requirement: 'OIDC-6.2-2', cause: error });
  }
}
