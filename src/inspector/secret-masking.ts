/**
 * What the inspector keeps of a secret: never the value. A masked value keeps its length and, where
 * correlating two requests helps (a code or refresh token presented twice, the access token a
 * userinfo call carried), a 12-hex-digit prefix of a domain-separated SHA-256 of a high-entropy
 * value, from which the value cannot be recovered. Passwords get no hint (a short hash of a low-
 * entropy value could be guessed). JWTs keep their header and claims, never the signature, so what
 * is kept can be read but not presented.
 * @spec https://www.rfc-editor.org/rfc/rfc6819#section-5.1.4.1.3 (no usable credential at rest)
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.2.5: no secrets in logs)
 */
import { hash } from 'node:crypto';
import type { DecodedJwt, MaskedSecret } from '../storage/request-trace-records.js';

/** What a masked parameter shows in the recorded parameters. */
export const MASKED = '[masked]';

/** Parameters whose values are credentials, by name (RFC 6749, 7523, 7636, 7009/7662, 8693, 8628). */
const SECRET_PARAMS: ReadonlySet<string> = new Set([
  'client_secret', 'client_assertion', 'code', 'code_verifier', 'refresh_token', 'token', 'subject_token', 'actor_token',
  'password', 'access_token', 'device_code', 'user_code', 'registration_access_token', 'id_token', 'assertion', 'request', 'id_token_hint',
]);

/** Secrets of low entropy: a hash prefix could be brute-forced, so they keep only their length. */
const NO_HINT: ReadonlySet<string> = new Set(['password', 'client_secret', 'user_code']);

/** Longest text kept of any one recorded (non-secret) value, and most values kept per request. */
export const MAX_VALUE_LENGTH = 512;
const MAX_PARAMS = 64;

/** The one-way hint of a value: the same value always gives the same hint, across nodes and restarts. */
export function hintOf(value: string): string {
  return hash('sha256', `castellan-inspector\u0000${value}`, 'hex').slice(0, 12);
}

/** Header and claims of a compact JWS, without its signature; undefined when `value` is not one. */
export function decodeJwtParts(value: string): DecodedJwt | undefined {
  const parts = value.split('.');
  if (parts.length !== 3 || value.length > 16_384) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(claims)) return undefined;
    return { header, claims };
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A masked secret: length, hint unless the kind is low-entropy, and a JWT's readable parts. */
export function maskSecret(name: string, value: string): MaskedSecret {
  const masked: MaskedSecret = { length: value.length };
  if (!NO_HINT.has(name)) masked.hint = hintOf(value);
  const jwt = decodeJwtParts(value);
  if (jwt) masked.jwt = jwt;
  return masked;
}

/** The Authorization header: its scheme, the client_id of Basic, a hint of a Bearer or DPoP token. */
export function maskAuthorization(header: string): MaskedSecret {
  const space = header.indexOf(' ');
  const scheme = space > 0 ? header.slice(0, space) : header;
  const credential = space > 0 ? header.slice(space + 1).trim() : '';
  const masked: MaskedSecret = { length: header.length, scheme: scheme.slice(0, 16) };
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      try {
        masked.user = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')).slice(0, 255);
      } catch {
        masked.user = decoded.slice(0, Math.min(colon, 255));
      }
    }
    return masked;
  }
  if (credential) {
    masked.hint = hintOf(credential);
    const jwt = decodeJwtParts(credential);
    if (jwt) masked.jwt = jwt;
  }
  return masked;
}

const clip = (value: string) => (value.length > MAX_VALUE_LENGTH ? `${value.slice(0, MAX_VALUE_LENGTH)}…` : value);

/** Parameters with every secret replaced by MASKED and described in `masked`; long values clipped. */
export function maskParams(params: Record<string, unknown>): { params: Record<string, string | string[]>; masked: Record<string, MaskedSecret> } {
  const kept: Record<string, string | string[]> = {};
  const masked: Record<string, MaskedSecret> = {};
  for (const [name, value] of Object.entries(params).slice(0, MAX_PARAMS)) {
    const key = clip(name);
    if (SECRET_PARAMS.has(name)) {
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') masked[key] = maskSecret(name, first);
      kept[key] = MASKED;
    } else if (Array.isArray(value)) kept[key] = value.slice(0, MAX_PARAMS).map((v) => clip(typeof v === 'string' ? v : JSON.stringify(v) ?? ''));
    else kept[key] = clip(typeof value === 'string' ? value : JSON.stringify(value) ?? '');
  }
  return { params: kept, masked };
}
