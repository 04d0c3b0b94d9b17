/**
 * What counts as text in a request: valid UTF-8 (raw or percent-encoded), no lone surrogates, no NUL.
 * Every parser of request input (query strings and forms, HTTP Basic credentials, JSON bodies, path
 * segments) asks these functions, so both databases see the same text, or none: PostgreSQL refuses
 * NUL in text columns while SQLite stores it, and a replacement character silently substituted for
 * an invalid byte would make two different inputs equal.
 * @spec https://www.rfc-editor.org/rfc/rfc3629#section-3 (UTF-8: surrogates and overlong forms are invalid)
 * @spec https://www.rfc-editor.org/rfc/rfc3986#section-2.5 (percent-encoded octets of UTF-8)
 * @spec https://www.rfc-editor.org/rfc/rfc8259#section-8.2 (JSON strings with lone surrogates are not interoperable)
 */
import { isUtf8 } from 'node:buffer';

/** The public reason given for every refusal, whatever the error code of the transport. */
export const ILL_FORMED_TEXT = 'request parameters must be valid UTF-8 without NUL characters';

/** NUL, or a surrogate half: with the u flag a valid pair reads as one code point and does not match. */
const NOT_TEXT = /[\0\p{Cs}]/u;

/** True when a decoded string is Unicode text without U+0000 (no lone surrogate halves). */
export function isStorableText(text: string): boolean {
  return !NOT_TEXT.test(text);
}

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8 or hold a NUL. */
export function utf8Text(bytes: Buffer): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  const text = bytes.toString('utf8');
  return text.includes('\0') ? undefined : text;
}

/**
 * True when every percent-encoded sequence in `encoded` decodes to valid UTF-8 and nothing decodes
 * to NUL. A `%` not followed by two hex digits stays literal, as URLSearchParams treats it; URLSearchParams
 * itself would replace invalid sequences with U+FFFD, which is why it is not asked.
 */
export function isWellFormedEncoded(encoded: string): boolean {
  if (!encoded.includes('%')) return isStorableText(encoded);
  try {
    return isStorableText(decodeURIComponent(encoded.replace(/%(?![0-9A-Fa-f]{2})/g, '%25')));
  } catch {
    // decodeURIComponent throws URIError for bytes that are not UTF-8 (RFC 3629 §3), surrogates included.
    return false;
  }
}

export type JsonProblem = 'too deep' | 'ill-formed text';

/**
 * The first reason a parsed JSON value cannot be taken as it is: nesting deeper than `maxDepth`
 * (walking, cloning or validating it would recurse that deep) or a string or member name that is
 * not storable text. The walk itself never goes deeper than `maxDepth`.
 */
export function jsonProblem(value: unknown, maxDepth: number): JsonProblem | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : 'ill-formed text';
  if (typeof value !== 'object' || value === null) return undefined;
  if (maxDepth === 0) return 'too deep';
  const entries = Array.isArray(value) ? value.map((item) => ['', item] as const) : Object.entries(value);
  for (const [name, member] of entries) {
    if (!isStorableText(name)) return 'ill-formed text';
    const problem = jsonProblem(member, maxDepth - 1);
    if (problem) return problem;
  }
  return undefined;
}
