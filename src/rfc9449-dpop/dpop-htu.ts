/**
 * The htu comparison: a proof names the URL it was made for, and the server compares it with the
 * endpoint's URL as the issuer publishes it (issuer + path), not with the URL the request reached
 * this node under, so the check holds behind a proxy and under an issuer's path prefix.
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.2 (htu: the target URI without query and fragment)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.3 (point 9: compared after RFC 3986 §6.2.2 and §6.2.3 normalisation)
 * @spec https://www.rfc-editor.org/rfc/rfc3986#section-6.2.2 (case, percent-encoding, dot segments)
 * @spec https://www.rfc-editor.org/rfc/rfc3986#section-6.2.3 (default port, empty path)
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

/** The URL of one of our endpoints, as the issuer publishes it in its metadata. */
export function endpointUrl(ctx: Pick<Context, 'config'>, path: string): string {
  return ctx.config.issuer + path;
}

/** True when the proof's htu names this endpoint; the query and fragment of htu are ignored. */
export function htuMatches(htu: string, expected: string): boolean {
  const presented = normaliseHtu(htu);
  return presented !== undefined && presented === normaliseHtu(expected);
}
