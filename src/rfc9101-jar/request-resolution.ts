/**
 * Where the parameters of an authorization request come from: the query or form itself, a pushed
 * request (RFC 9126 request_uri), a request object by value (`request`) or by reference (an https
 * `request_uri`). Once resolved, the same /authorize validation runs on them, whatever the source.
 *
 * Only the object's (or the pushed) parameters count; the ones outside are ignored apart from
 * client_id, which must name the same client (RFC 9101 §6.3, RFC 9126 §4). OIDC Core §6.1 asks
 * clients to repeat response_type, client_id and a scope with openid outside the object so that the
 * request is valid OAuth 2.0 even to a server without request objects; that is a rule for clients,
 * and RFC 9101 and FAPI 2.0 (which sends only client_id and request_uri) want the server to read the
 * object alone, so the outside copies are neither required nor compared.
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-5 (request and request_uri)
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-6.3 (assembly: the object's parameters only)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-4 (request_uri of a pushed request)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-5 (require_pushed_authorization_requests)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#JWTRequests
 */
import { OAuthError } from '../errors/oauth-error.js';
import { contributeMetadata } from '../oidc-discovery/provider-metadata.js';
import { isPushedRequestUri, readPushedRequest } from '../rfc9126-par/pushed-request-uri.js';
import { validateParams, type Params } from '../schema/validator.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { REQUEST_OBJECT_SIGNING_ALGS, verifyRequestObject } from './request-object.js';
import { requestObjectParams } from './request-object-params.js';
import { requiresSignedRequestObject } from './request-object-policy.js';
import { fetchRequestObject } from './request-uri-fetch.js';
import { requestReferenceSchema, type RequestReferenceParams } from './request-reference.schema.js';

// `none` is listed because clients that neither registered an algorithm nor must sign may send
// unsigned objects (OIDC Core §6.1); clients that must sign never get them accepted.
contributeMetadata(() => ({
  request_parameter_supported: true,
  request_uri_parameter_supported: true,
  require_request_uri_registration: true,
  request_object_signing_alg_values_supported: ['none', ...REQUEST_OBJECT_SIGNING_ALGS],
}));

export type RequestSource = 'plain' | 'pushed' | 'request_object';

export interface ResolvedRequest {
  params: Params;
  source: RequestSource;
  /** For a pushed request: its handle's hash, used up when the code is issued. */
  pushedRequestHash?: string;
}

/** Whether the request carries `request` or `request_uri`, so there is something to resolve. */
export const hasRequestReference = (params: Params): boolean => params.request !== undefined || params.request_uri !== undefined;

/** The authorization request parameters a request object of `client` carries, after verifying it. */
export async function requestObjectParameters(ctx: Context, client: ClientRecord, jwt: string): Promise<Params> {
  const { claims } = await verifyRequestObject(ctx, client, jwt);
  return requestObjectParams(claims);
}

/** At /authorize: the parameters to validate, from whichever source the request names. */
export async function resolveAuthorizationParams(ctx: Context, client: ClientRecord, outer: Params): Promise<ResolvedRequest> {
  // Repeated or oversized: invalid_request, as for every parameter.
  const { request, request_uri: requestUri } = validateParams<RequestReferenceParams>(requestReferenceSchema, outer);
  if (request === undefined && requestUri === undefined) return { params: outer, source: 'plain' };
  if (request !== undefined && requestUri !== undefined) {
    throw new OAuthError('invalid_request', 'request and request_uri must not be used together', { requirement: 'RFC9101-5-1' });
  }
  if (requestUri !== undefined) {
    if (isPushedRequestUri(requestUri)) {
      const pushed = await readPushedRequest(ctx, client, requestUri);
      return { params: pushed.params, source: 'pushed', pushedRequestHash: pushed.handleHash };
    }
    return { params: await requestObjectParameters(ctx, client, await fetchRequestObject(ctx, client, requestUri)), source: 'request_object' };
  }
  return { params: await requestObjectParameters(ctx, client, request!), source: 'request_object' };
}

/**
 * The client's and the server's rules on how requests must arrive, checked once the redirect_uri is
 * proven (so the refusal goes back to the client): pushed when PAR is required, inside a request
 * object when signing is required (a pushed request was held to that rule when it was pushed).
 */
export function checkRequestSource(ctx: Context, client: ClientRecord, source: RequestSource): void {
  if (source !== 'pushed' && (ctx.config.requirePar || client.metadata.require_pushed_authorization_requests === true)) {
    throw new OAuthError('invalid_request', 'authorization requests must be pushed to the pushed authorization request endpoint first', { requirement: 'RFC9126-5-1' });
  }
  if (source === 'plain' && requiresSignedRequestObject(client.metadata)) {
    throw new OAuthError('invalid_request', 'this client must send its authorization requests as signed request objects', { requirement: 'RFC9101-10.5-1' });
  }
}
