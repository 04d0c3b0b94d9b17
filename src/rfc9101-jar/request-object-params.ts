/**
 * Turns the claims of a verified request object into authorization request parameters, the form
 * the /authorize validation reads: strings as they are, numbers and booleans as their decimal
 * text, JSON objects (the claims parameter) as JSON text, string arrays (resource) kept as arrays.
 * The JWT's own claims (iss, aud, exp, nbf, iat, jti) are not request parameters.
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-4 (request parameters as JWT claims)
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-6.3 (only the object's parameters are used)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RequestObject (no request or request_uri inside)
 */
import type { JWTPayload } from 'jose';
import type { Params } from '../schema/validator.js';
import { invalidObject } from './request-object.js';

const JWT_CLAIMS = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti']);

function asParameter(value: unknown): string | string[] | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  if (value !== null && value !== undefined) return JSON.stringify(value);
  return undefined;
}

/** The authorization request the object carries; `request` or `request_uri` inside it is refused. */
export function requestObjectParams(claims: JWTPayload): Params {
  // OIDC Core §6.1: a request object must not nest another one by value or by reference.
  if (claims.request !== undefined || claims.request_uri !== undefined) {
    throw invalidObject('a request object must not contain request or request_uri', 'RFC9101-6.3-1');
  }
  const params: Params = Object.create(null);
  for (const [name, value] of Object.entries(claims)) {
    if (JWT_CLAIMS.has(name)) continue;
    const parameter = asParameter(value);
    // RFC 6749 §3.1, as for query and form parameters: an empty value is treated as omitted.
    if (parameter !== undefined && parameter !== '') params[name] = parameter;
  }
  return params;
}
