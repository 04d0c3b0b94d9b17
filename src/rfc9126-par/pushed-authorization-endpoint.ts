/**
 * POST /par: a client pushes its authorization request over the back channel, authenticated as at
 * the token endpoint, and gets a request_uri to send the browser to /authorize with.
 *   parse form -> read request / refuse request_uri (invalid_request) -> authenticate the client
 *   (invalid_client) -> client_id is the authenticated client's -> DPoP proof, when sent -> the
 *   request object, when sent (invalid_request_object) -> dpop_jkt bound to the proof's key -> the
 *   whole /authorize validation (redirect_uri, response_type, PKCE, scope...) -> store -> 201.
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-2 (the endpoint; client authentication as at the token endpoint)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-2.1 (request validated like an authorization request; request_uri not allowed)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-2.2 (201 with request_uri and expires_in)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-2.3 (errors as at the token endpoint)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-3 (request objects pushed)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-5 (pushed_authorization_request_endpoint metadata)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-10.1 (DPoP proof at the PAR endpoint, dpop_jkt)
 */
import type { Request, Response, Router } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { formBody, formParams } from '../http/params.js';
import { postOnlyRouter } from '../http/post-endpoint.js';
import { sendJson } from '../http/respond.js';
import { contributeMetadata, PATHS } from '../oidc-discovery/provider-metadata.js';
import { checkRedirectUri, responseTarget } from '../rfc6749-oauth2/authorization-request.js';
import { authorizationRequestSchema } from '../rfc6749-oauth2/authorization-request.schema.js';
import { authenticateRequestClient } from '../rfc6749-oauth2/client-authentication.js';
import { requiresSignedRequestObject } from '../rfc9101-jar/request-object-policy.js';
import { requestObjectParameters } from '../rfc9101-jar/request-resolution.js';
import { endpointProof } from '../rfc9449-dpop/dpop-binding.js';
import { invalidProof } from '../rfc9449-dpop/dpop-proof.js';
import { nonceHeaders } from '../rfc9449-dpop/dpop-nonce.js';
import { validateParams, type Params } from '../schema/validator.js';
import { validatedRequest } from '../server/authorization-endpoint.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { pushedAuthorizationSchema, type PushedAuthorizationParams } from './pushed-authorization.schema.js';
import { pushRequest } from './pushed-request-uri.js';

contributeMetadata((config) => ({
  pushed_authorization_request_endpoint: config.issuer + PATHS.pushedAuthorization,
  require_pushed_authorization_requests: config.requirePar,
}));

/** What the phases learn about one pushed request, filled in order. */
interface PushedRequest {
  readonly req: Request;
  form: Params;
  input: PushedAuthorizationParams;
  client: ClientRecord;
  /** The authorization request: the form's parameters, or the request object's. */
  params: Params;
  /** RFC 9449 §10.1: thumbprint of the DPoP proof's key, when a proof was sent. */
  dpopJkt?: string;
  headers: Record<string, string>;
  body: { request_uri: string; expires_in: number };
}

type Phase = (ctx: Context, pushed: PushedRequest) => Promise<void> | void;

/** Only what the authorization request declares is kept; client credentials never are. */
const AUTHORIZATION_PARAMETERS = Object.keys(authorizationRequestSchema.properties ?? {});

function parseForm(_ctx: Context, pushed: PushedRequest): void {
  pushed.form = formParams(pushed.req);
  pushed.input = validateParams<PushedAuthorizationParams>(pushedAuthorizationSchema, pushed.form);
  // §2.1: a pushed request cannot point at another request.
  if (pushed.input.request_uri !== undefined) throw new OAuthError('invalid_request', 'request_uri must not be sent to the pushed authorization request endpoint', { requirement: 'RFC9126-2.1-2' });
}

async function authenticate(ctx: Context, pushed: PushedRequest): Promise<void> {
  // §2: exactly as at the token endpoint; a public client identifies itself with client_id.
  pushed.client = (await authenticateRequestClient(ctx, pushed.req, pushed.form)).client;
  if (pushed.input.client_id !== undefined && pushed.input.client_id !== pushed.client.clientId) {
    throw new OAuthError('invalid_request', 'client_id must be the authenticated client', { requirement: 'RFC9126-2.1-1' });
  }
}

async function checkDpopProof(ctx: Context, pushed: PushedRequest): Promise<void> {
  pushed.dpopJkt = await endpointProof(ctx, pushed.req, PATHS.pushedAuthorization, pushed.client);
  if (pushed.dpopJkt !== undefined) pushed.headers = nonceHeaders(ctx);
}

async function requestObject(ctx: Context, pushed: PushedRequest): Promise<void> {
  const { client, input, form } = pushed;
  if (input.request !== undefined) {
    // §3: the object's parameters are the request; client authentication stays outside it.
    pushed.params = await requestObjectParameters(ctx, client, input.request);
    return;
  }
  if (requiresSignedRequestObject(client.metadata)) {
    throw new OAuthError('invalid_request', 'this client must push its authorization requests as signed request objects', { requirement: 'RFC9101-10.5-1' });
  }
  pushed.params = { ...form, client_id: client.clientId };
}

function bindDpopKey(_ctx: Context, pushed: PushedRequest): void {
  const { dpopJkt, params } = pushed;
  if (dpopJkt === undefined) return;
  // RFC 9449 §10.1: dpop_jkt and the proof, when both are sent, must name the same key.
  if (params.dpop_jkt !== undefined && params.dpop_jkt !== dpopJkt) throw invalidProof('dpop_jkt does not match the key of the DPoP proof', 'RFC9449-10.1-2');
  params.dpop_jkt = dpopJkt;
}

async function validate(ctx: Context, pushed: PushedRequest): Promise<void> {
  // §2.1: validated as /authorize would validate it, so errors reach the client now, as JSON.
  const target = responseTarget(pushed.params, checkRedirectUri(pushed.client, pushed.params), pushed.client);
  await validatedRequest(ctx, pushed.client, target, { params: pushed.params });
}

async function store(ctx: Context, pushed: PushedRequest): Promise<void> {
  const kept: Params = {};
  for (const name of AUTHORIZATION_PARAMETERS) if (pushed.params[name] !== undefined) kept[name] = pushed.params[name];
  pushed.body = await pushRequest(ctx, pushed.client, kept);
}

export const PUSHED_AUTHORIZATION_PHASES: readonly Phase[] = [parseForm, authenticate, checkDpopProof, requestObject, bindDpopKey, validate, store];

export function pushedAuthorizationRouter(ctx: Context): Router {
  return postOnlyRouter({ path: PATHS.pushedAuthorization, parseBody: formBody, logger: ctx.logger, otherMethods: 'the pushed authorization request endpoint accepts only POST' }, async (req: Request, res: Response) => {
    const pushed = { req, headers: {} } as PushedRequest;
    for (const phase of PUSHED_AUTHORIZATION_PHASES) await phase(ctx, pushed);
    res.set(pushed.headers);
    // §2.2: 201 Created; sendJson adds Cache-Control: no-store.
    sendJson(res, 201, pushed.body);
  });
}
