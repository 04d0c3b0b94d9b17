/**
 * The syntax of a resource indicator and of the `resource` request parameter: one or more absolute
 * URIs without a fragment. Sizes are bounded in the schema (invalid_request); a value that is not
 * an absolute URI is invalid_target, the error RFC 8707 defines for a malformed resource.
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2 (absolute URI, no fragment, may repeat, invalid_target)
 * @spec https://www.rfc-editor.org/rfc/rfc3986#section-4.3 (absolute-URI = scheme ":" hier-part [ "?" query ])
 */
import { OAuthError } from '../errors/oauth-error.js';

/** Longest accepted indicator, and most indicators in one request (RFC 8707 §3 encourages one). */
export const RESOURCE_MAX_LENGTH = 2048;
export const RESOURCE_MAX_COUNT = 16;

/**
 * The `resource` parameter for request schemas: a single value arrives as a string, a repeated one
 * as an array. Declared so the schema layer keeps it; semantics are checked by `requestedResources`.
 */
export const RESOURCE_PARAMETER = {
  // if/then/else rather than anyOf, so the first error names the real fault ("too long").
  if: { type: 'string' },
  then: { type: 'string', maxLength: RESOURCE_MAX_LENGTH },
  else: { type: 'array', maxItems: RESOURCE_MAX_COUNT, items: { type: 'string', maxLength: RESOURCE_MAX_LENGTH } },
} as const;

/** RFC 3986 characters only (unreserved, reserved but `#`, and `%`), after a scheme. */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?[\]@!$&'()*+,;=%]+$/;

/** True for an absolute URI without a fragment, the only form RFC 8707 §2 allows. */
export function isResourceIndicator(value: string): boolean {
  if (value.length > RESOURCE_MAX_LENGTH || !ABSOLUTE_URI.test(value)) return false;
  // Every % starts a percent-encoded octet (RFC 3986 §2.1).
  if (/%(?![0-9A-Fa-f]{2})/.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The requested indicators, de-duplicated in order, or undefined when the parameter was not sent.
 * RFC 8707 §2: a malformed value is answered with invalid_target.
 */
export function requestedResources(value: string | readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const values = typeof value === 'string' ? [value] : [...value];
  for (const item of values) {
    if (item.includes('#')) throw new OAuthError('invalid_target', 'resource must not contain a fragment', { requirement: 'RFC8707-2-1' });
    if (!isResourceIndicator(item)) throw new OAuthError('invalid_target', 'resource must be an absolute URI', { requirement: 'RFC8707-2-1' });
  }
  return [...new Set(values)];
}
