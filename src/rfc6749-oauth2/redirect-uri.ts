/**
 * Matching a presented redirect_uri against the client's registered ones: exact string comparison,
 * with the one exception native apps need for ephemeral loopback ports.
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3 (exact string matching, no normalisation)
 * @spec https://www.rfc-editor.org/rfc/rfc8252#section-7.3 (loopback IP literals: any port at request time)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2 (absolute URI, no fragment)
 */

/**
 * A loopback redirect URI split at the port: `http://127.0.0.1` or `http://[::1]`, an optional port,
 * then everything after it. `localhost` is deliberately absent: RFC 8252 §8.3 calls it NOT RECOMMENDED
 * because the name may resolve elsewhere, so it gets no port leniency.
 */
const LOOPBACK = /^(http:\/\/(?:127\.0\.0\.1|\[::1\]))(?::(\d{1,5}))?([/?][^#]*)?$/;

interface LoopbackParts {
  origin: string;
  port: number | undefined;
  rest: string;
}

function loopbackParts(uri: string): LoopbackParts | undefined {
  const match = LOOPBACK.exec(uri);
  if (!match) return undefined;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && port > 65535) return undefined;
  return { origin: match[1], port, rest: match[3] ?? '' };
}

/** True when `presented` is usable as a redirect target at all: absolute, no fragment, no credentials. */
export function isWellFormedRedirectUri(presented: string): boolean {
  if (presented.includes('#')) return false;
  try {
    const url = new URL(presented);
    return !url.username && !url.password;
  } catch {
    return false;
  }
}

/** RFC 8252 §7.3: for loopback IP literals only the port may differ from the registration. */
function loopbackMatches(registered: string, presented: string): boolean {
  const want = loopbackParts(registered);
  const got = loopbackParts(presented);
  if (!want || !got) return false;
  return want.origin === got.origin && want.rest === got.rest;
}

/** The registered URI that `presented` matches, or undefined. Comparison is on the raw strings. */
export function matchRedirectUri(registered: readonly string[], presented: string): string | undefined {
  if (!isWellFormedRedirectUri(presented)) return undefined;
  const exact = registered.find((uri) => uri === presented);
  if (exact !== undefined) return exact;
  return registered.find((uri) => loopbackMatches(uri, presented));
}
