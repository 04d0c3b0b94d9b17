/**
 * Reading a bearer token from a request to a protected resource, and the WWW-Authenticate
 * challenges of its errors.
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-2.1 (Authorization: Bearer)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-2.2 (form body access_token, POST only)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-2.3 (URI query: never read, per OAuth 2.1, so it counts as no token)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3 (WWW-Authenticate, error codes)
 */
import type { Request } from 'express';
import { challengeHeader, OAuthError, type OAuthErrorCode } from '../errors/oauth-error.js';
import { parsedFormBody } from '../http/params.js';

export const REALM = 'castellan';

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The challenge for a request without credentials: no error code (RFC 6750 §3.1). */
export function bearerChallenge(): string {
  return challengeHeader({ scheme: 'Bearer', realm: REALM });
}

/** An error challenged with the Bearer scheme; `requirement` names the rule of spec/ it enforces. */
export function bearerError(code: OAuthErrorCode, description: string, requirement: string, extra: Record<string, string> = {}): OAuthError {
  return new OAuthError(code, description, { requirement, challenge: { scheme: 'Bearer', realm: REALM, attributes: extra } });
}

/**
 * The presented token, or undefined when the request carries none. A client MUST NOT use more than
 * one method (RFC 6750 §2), so header plus body is invalid_request. The query is never looked at.
 */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  let fromHeader: string | undefined;
  if (typeof header === 'string' && /^bearer(\s|$)/i.test(header)) {
    fromHeader = header.slice(6).trim();
    if (!B64TOKEN.test(fromHeader)) throw bearerError('invalid_request', 'The Authorization header is malformed', 'RFC6750-2.1-2');
  }
  let fromBody: string | string[] | undefined;
  if (req.method === 'POST') fromBody = parsedFormBody(req)?.access_token;
  if (Array.isArray(fromBody)) throw bearerError('invalid_request', 'access_token must not be included more than once', 'RFC6749-3.1-3');
  if (fromHeader !== undefined && fromBody !== undefined) throw bearerError('invalid_request', 'Use only one way of sending the access token', 'RFC6750-2-1');
  return fromHeader ?? fromBody;
}
