/**
 * Turns one observed exchange (request parameters and headers, status, Location, JSON body) into
 * the trace the inspector keeps: secrets masked, the error with the requirement its error_uri
 * names, the issued tokens decoded, and the client the request named. Pure: no I/O, no clock.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (error, error_description, error_uri)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (code and error in the redirect's query)
 */
import type { IssuedToken, MaskedSecret, RequestTrace, TraceError } from '../storage/request-trace-records.js';
import { decodeJwtParts, hintOf, maskAuthorization, maskParams, maskSecret, MAX_VALUE_LENGTH } from './secret-masking.js';

/** What the capture middleware saw of one request and its response. */
export interface ObservedExchange {
  endpoint: string;
  method: string;
  /** Query or form parameters (a JSON object for registration). */
  params: Record<string, unknown>;
  authorization?: string;
  dpop?: string;
  /** A client_id in the path (RFC 7592 management). */
  pathClientId?: string;
  status: number;
  location?: string;
  /** The parsed JSON body of the response, when it was JSON. */
  body?: Record<string, unknown>;
  /** A form_post authorization response: the form's target and hidden fields. */
  formPost?: { action: string; fields: Record<string, string> };
}

/** Response members that carry a credential, with the member giving each one's lifetime. */
const ISSUED_MEMBERS: Record<string, string | undefined> = {
  access_token: 'expires_in', refresh_token: 'refresh_token_expires_in', id_token: undefined, device_code: 'expires_in',
  user_code: 'expires_in', registration_access_token: undefined, client_secret: 'client_secret_expires_at',
};
const NO_HINT_ISSUED = new Set(['user_code', 'client_secret']);

/** The spec/ requirement an error_uri names: its path ends /errors/<code>/<requirement>. */
export function requirementOf(errorUri: string | undefined): string | undefined {
  if (!errorUri) return undefined;
  const match = /\/errors\/[^/?#]+\/([^/?#]+)/.exec(errorUri);
  return match ? decodeURIComponent(match[1]).slice(0, 128) : undefined;
}

function traceError(source: Record<string, unknown> | undefined): TraceError | undefined {
  const code = source?.error;
  if (typeof code !== 'string') return undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, MAX_VALUE_LENGTH) : undefined);
  const uri = text(source?.error_uri);
  return { code: code.slice(0, 64), description: text(source?.error_description), requirement: requirementOf(uri), uri };
}

function issuedIn(body: Record<string, unknown> | undefined): IssuedToken[] {
  if (!body) return [];
  const issued: IssuedToken[] = [];
  for (const [kind, lifetime] of Object.entries(ISSUED_MEMBERS)) {
    const value = body[kind];
    if (typeof value !== 'string') continue;
    const jwt = decodeJwtParts(value);
    const token: IssuedToken = { kind, format: jwt ? 'jwt' : 'opaque' };
    if (!NO_HINT_ISSUED.has(kind)) token.hint = hintOf(value);
    if (jwt) token.jwt = jwt;
    if (lifetime && typeof body[lifetime] === 'number') token.expiresIn = body[lifetime] as number;
    if (kind === 'access_token' && typeof body.token_type === 'string') token.tokenType = body.token_type;
    if (kind === 'access_token' && typeof body.issued_token_type === 'string') token.tokenType = `${body.token_type ?? ''} (${body.issued_token_type})`.trim();
    issued.push(token);
  }
  return issued;
}

/** A redirect's target without its query (a path of ours loses long segments: they are handles), and its parameters masked. */
function redirectOf(location: string): { redirect: string; params: Record<string, string>; masked: Record<string, MaskedSecret> } {
  const url = new URL(location, 'http://relative.invalid');
  const relative = url.origin === 'http://relative.invalid';
  const path = relative ? url.pathname.split('/').map((segment) => (segment.length > 20 ? '…' : segment)).join('/') : url.pathname;
  const redirect = (relative ? '' : url.origin) + path;
  if (relative) return { redirect, params: {}, masked: {} };
  const { params, masked } = maskParams(Object.fromEntries(url.searchParams));
  return { redirect: redirect.slice(0, MAX_VALUE_LENGTH), params: params as Record<string, string>, masked };
}

/** A form_post answer as the redirect it stands for: the fields join the action's query. */
function formPostTarget(formPost: { action: string; fields: Record<string, string> }): string {
  const url = new URL(formPost.action, 'http://relative.invalid');
  for (const [name, value] of Object.entries(formPost.fields)) url.searchParams.append(name, value);
  return url.href;
}

/** The client a request named: client_id, the Basic user, a client assertion's sub, an id_token_hint's aud, or the registration answer. */
function namedClient(exchange: ObservedExchange, masked: Record<string, MaskedSecret>): string | undefined {
  const { params } = exchange;
  if (typeof params.client_id === 'string') return params.client_id;
  if (masked.Authorization?.user) return masked.Authorization.user;
  const assertionSub = masked.client_assertion?.jwt?.claims.sub;
  if (typeof assertionSub === 'string') return assertionSub;
  if (exchange.pathClientId) return exchange.pathClientId;
  const hintAudience = masked.id_token_hint?.jwt?.claims.aud;
  if (typeof hintAudience === 'string') return hintAudience;
  if (Array.isArray(hintAudience) && typeof hintAudience[0] === 'string') return hintAudience[0];
  if (typeof exchange.body?.client_id === 'string') return exchange.body.client_id;
  // A JWT access token at userinfo names its client (RFC 9068 §2.2); an opaque one is looked up by the recorder.
  const tokenClient = masked.Authorization?.jwt?.claims.client_id;
  return typeof tokenClient === 'string' ? tokenClient : undefined;
}

/** The trace of one exchange; clientId is empty when the request named none. */
export function buildTrace(exchange: ObservedExchange, at: number, durationMs: number): RequestTrace {
  const { params, masked } = maskParams(exchange.params);
  if (exchange.authorization) masked.Authorization = maskAuthorization(exchange.authorization);
  if (exchange.dpop) masked.DPoP = maskSecret('DPoP', exchange.dpop);
  const trace: RequestTrace = {
    clientId: (namedClient(exchange, masked) ?? '').slice(0, 255), at, endpoint: exchange.endpoint, method: exchange.method,
    status: exchange.status, durationMs: Math.round(durationMs * 10) / 10, params, masked, issued: issuedIn(exchange.body),
  };
  let error = traceError(exchange.body);
  const delivered = exchange.location ?? (exchange.formPost ? formPostTarget(exchange.formPost) : undefined);
  if (delivered) {
    const redirect = redirectOf(delivered);
    trace.redirect = redirect.redirect;
    if (Object.keys(redirect.params).length > 0) trace.redirectParams = redirect.params;
    for (const [name, secret] of Object.entries(redirect.masked)) {
      if (name === 'code' && secret.hint) trace.issued.push({ kind: 'code', format: 'opaque', hint: secret.hint });
    }
    error ??= traceError(redirect.params);
  }
  if (error) trace.error = error;
  return trace;
}
