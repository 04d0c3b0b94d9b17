/**
 * The checks of an authorization request, one function per rule; authorization-endpoint.ts orders
 * them. Until client_id and redirect_uri are proven, errors are shown on a page, never redirected.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (which errors may be redirected)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.3 (scope: see scope-policy.ts)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 */
import { OAuthError } from '../errors/oauth-error.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import type { Params } from '../schema/validator.js';
import type { ClaimsRequest } from '../oidc-core/claims-parameter.js';
import { matchRedirectUri } from './redirect-uri.js';
import { jwtResponseMode, type JwtResponseMode } from '../jarm/response-modes.js';
import { authorizationResponseAlg } from '../jarm/response-jwt.js';
import type { Alg } from '../tokens/keystore.js';
import { STATE_MAX_LENGTH, type AuthorizationRequestParams } from './authorization-request.schema.js';

export type ResponseMode = 'query' | 'form_post' | JwtResponseMode;

/** The validated request, stored as JSON in an interaction between the login and consent steps. */
export interface AuthorizationRequest {
  clientId: string;
  /** Exactly as sent: the token endpoint compares it with the code's redirect_uri as a string. */
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | null;
  scope: string;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  prompt: string[];
  maxAge: number | null;
  loginHint: string | null;
  /** Subject of a verified id_token_hint. */
  hintedSubject: string | null;
  /** A BCP 47 tag from ui_locales for the pages' lang attribute. */
  uiLocale: string | null;
  claims: ClaimsRequest | null;
  /** RFC 8707 resource indicators approved for the grant (absent in interactions stored before it was recorded). */
  resource?: string[] | null;
  /** acr_values (absent in interactions stored before it was recorded). */
  acrValues?: string[];
  /** RFC 9449 §10: the DPoP key the code is to be bound to (absent when not requested). */
  dpopJkt?: string;
  /**
   * JARM §3: the alg the response JWT is signed with, for a JWT response mode: the target's
   * `signingAlg`, kept for `targetOf` (absent otherwise, and in interactions stored before it was
   * recorded, which get the JARM default RS256).
   */
  responseSigningAlg?: Alg;
  /** RFC 9126: the pushed request this came from (SHA-256 of its handle), used up when the code is issued. */
  pushedRequestHash?: string;
}

/** Where a redirected answer goes, known as soon as the redirect_uri is proven. */
export interface ResponseTarget {
  /** The client the response is for (the audience of a JARM response). */
  clientId: string;
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | null;
  /**
   * JARM §3: the client's response signing alg for a JWT response mode, chosen here once (responseTarget)
   * and kept with the validated request, so the client is not read again.
   */
  signingAlg?: Alg;
}

const single = (value: string | string[] | undefined): string | undefined => (typeof value === 'string' ? value : undefined);

/** The client named by client_id; failures are HTML pages with the fixed text "invalid client". */
export async function findClient(ctx: Context, params: Params): Promise<ClientRecord> {
  const clientId = single(params.client_id);
  if (Array.isArray(params.client_id)) throw new OAuthError('invalid_client', 'invalid client: client_id must not be included more than once', { requirement: 'RFC6749-3.1-3' });
  if (clientId === undefined) throw new OAuthError('invalid_client', 'invalid client: client_id is required', { requirement: 'RFC6749-4.1.1-2' });
  const client = clientId.length <= 255 ? await ctx.stores.clients.find(clientId) : undefined;
  if (!client) throw new OAuthError('invalid_client', 'invalid client: the client_id is not registered', { requirement: 'RFC6749-4.1.1-2' });
  return client;
}

/**
 * The redirect_uri, exactly as sent, when it matches a registration; failures are HTML pages with
 * the fixed text "invalid redirect_uri" (RFC 6749 §4.1.2.1: MUST NOT redirect to an unproven URI).
 */
export function checkRedirectUri(client: ClientRecord, params: Params): string {
  if (Array.isArray(params.redirect_uri)) throw new OAuthError('invalid_request', 'invalid redirect_uri: redirect_uri must not be included more than once', { requirement: 'RFC6749-3.1.2.4-1' });
  const presented = single(params.redirect_uri);
  // Castellan policy: redirect_uri is REQUIRED in every request, even for a client with one
  // registered URI (OAuth 2.1 §4.1.1), so the token endpoint always has a string to compare.
  if (presented === undefined) throw new OAuthError('invalid_request', 'invalid redirect_uri: redirect_uri is required', { requirement: 'RFC6749-3.1.2.4-1' });
  if (presented.length > 2048 || matchRedirectUri(client.metadata.redirect_uris, presented) === undefined) {
    throw new OAuthError('invalid_request', 'invalid redirect_uri: it is not registered for this client', { requirement: 'RFC9700-2.1-1', received: { redirect_uri: presented.slice(0, 2048) } });
  }
  return presented;
}

/** Where errors go from here on; a state that would fail validation is not echoed. */
export function responseTarget(params: Params, redirectUri: string, client: Pick<ClientRecord, 'clientId' | 'metadata'>): ResponseTarget {
  const state = single(params.state);
  const mode = single(params.response_mode);
  const jwtMode = jwtResponseMode(mode);
  return {
    clientId: client.clientId,
    redirectUri,
    responseMode: mode === 'form_post' ? 'form_post' : jwtMode ?? 'query',
    state: state !== undefined && state.length <= STATE_MAX_LENGTH ? state : null,
    ...(jwtMode ? { signingAlg: authorizationResponseAlg(client) } : {}),
  };
}

/** The response target of a validated request (after an interaction, for instance). */
export function targetOf(request: AuthorizationRequest): ResponseTarget {
  const { clientId, redirectUri, responseMode, state, responseSigningAlg } = request;
  return { clientId, redirectUri, responseMode, state, ...(responseSigningAlg ? { signingAlg: responseSigningAlg } : {}) };
}

/** OAuth 2.1 has only the code flow; fragment encoding exists for implicit and hybrid responses. */
export function checkResponseMode(params: AuthorizationRequestParams): ResponseMode {
  const mode = params.response_mode ?? 'query';
  if (mode === 'query' || mode === 'form_post') return mode;
  const jwt = jwtResponseMode(mode);
  if (jwt) return jwt;
  if (mode === 'fragment') throw new OAuthError('invalid_request', 'response_mode fragment is not allowed with response_type code', { requirement: 'FORMPOST-2-1' });
  if (mode === 'fragment.jwt') throw new OAuthError('invalid_request', 'response_mode fragment.jwt is not allowed with response_type code', { requirement: 'JARM-2.3-2' });
  throw new OAuthError('invalid_request', 'response_mode must be query, form_post, jwt, query.jwt or form_post.jwt', { requirement: 'FORMPOST-2-1' });
}

export function checkResponseType(params: AuthorizationRequestParams): void {
  if (params.response_type === undefined) throw new OAuthError('invalid_request', 'response_type is required', { requirement: 'RFC6749-4.1.1-1' });
  // RFC 9700 §2.1.2: no implicit grant; hybrid types would put tokens in the front channel too.
  if (params.response_type !== 'code') throw new OAuthError('unsupported_response_type', 'only response_type code is supported', { requirement: 'RFC6749-4.1.1-1' });
}

export function checkClientMayUseCode(client: ClientRecord): void {
  const { response_types: responseTypes, grant_types: grantTypes } = client.metadata;
  if (!responseTypes.includes('code') || !grantTypes.includes('authorization_code')) {
    throw new OAuthError('unauthorized_client', 'the client is not registered for the authorization code flow', { requirement: 'RFC6749-5.2-5' });
  }
}

/** The first well-formed BCP 47 tag of ui_locales, for the pages' lang attribute; display only. */
export function pageLocale(uiLocales: string | undefined): string | null {
  const tag = uiLocales?.split(' ').find((value) => /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(value));
  return tag ?? null;
}
