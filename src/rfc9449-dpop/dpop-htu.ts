/**
 * The htu comparison: a proof names the URL it was made for, and the server compares it with the
 * endpoint's URL as the issuer publishes it (issuer + path), not with the URL the request reached
 * this node under, so the check holds behind a proxy and under an issuer's path prefix.
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.2 (htu: the target URI without query and fragment)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.3 (point 9: compared after RFC 3986 §6.2.2 and §6.2.3 normalisation)
 * @spec https://www.rfc-editor.org/rfc/rfc3986#section-6.2.2 (case, percent-encoding, dot segments)
 * @spec https://www.rfc-editor.org/rfc/rfc3986#section-6.2.3 (default port, empty path)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-5 (mtls_endpoint_aliases)
 */
import type { Context } from '../server/context.js';

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The normalised form of an http(s) URL without its query and fragment, or undefined when the value
 * is no such URL. WHATWG parsing already lowercases scheme and host, drops a default port, removes
 * dot segments and turns an empty path into "/"; what is left is §6.2.2.2: percent-encoded unreserved
 * characters are decoded and the hex digits of the others uppercased.
 */
export function normaliseHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // A URL with credentials names no endpoint of ours; it would only hide what the proof was made for.
  if (url.username !== '' || url.password !== '') return undefined;
  const path = url.pathname.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const character = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return UNRESERVED.test(character) ? character : escape.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}

/**
 * The URLs of one of our endpoints, as the issuer publishes them in its metadata: under the issuer
 * and, with MTLS_BASE_URL, its RFC 8705 §5 alias, where a client that authenticates or binds its
 * tokens with a certificate calls it (and makes its proofs for). Both name this endpoint of this
 * server, so a proof for either is a proof for this request.
 */
export function endpointUrls(ctx: Pick<Context, 'config'>, path: string): string[] {
  const { issuer, mtlsBaseUrl } = ctx.config;
  return mtlsBaseUrl ? [issuer + path, mtlsBaseUrl + path] : [issuer + path];
}

/** True when the proof's htu names this endpoint (one of its URLs); the query and fragment of htu are ignored. */
export function htuMatches(htu: string, expected: string | readonly string[]): boolean {
  const presented = normaliseHtu(htu);
  return presented !== undefined && (typeof expected === 'string' ? [expected] : expected).some((url) => presented === normaliseHtu(url));
}
