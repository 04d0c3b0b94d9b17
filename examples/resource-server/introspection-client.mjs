/**
 * Asks Castellan about an access token: the introspection endpoint is read once from the issuer's
 * discovery document, the resource server authenticates as a confidential client with
 * client_secret_basic, and every call to Castellan has a deadline, so a stalled authorization
 * server costs one bounded wait and a 503, never a hung request. The deadline covers the whole
 * answer, discovery included, so the first request waits no longer than any other.
 * Active answers may be kept for a few seconds (`cacheSeconds`, off by default): RFC 7662 §4 leaves
 * the trade-off to the resource server, since a revoked token stays usable for as long as its answer is kept.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1 (introspection request, caller authenticated)
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2 (active, scope, client_id, sub, cnf)
 * @spec https://www.rfc-editor.org/rfc/rfc8414#section-3 (metadata at /.well-known/oauth-authorization-server)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 (client_secret_basic: form-encode id and secret first)
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-4 (caching answers trades revocation latency for load)
 */
import { createHash } from 'node:crypto';

/** Castellan could not be asked (down, stalled, refused our credentials): the caller answers 503. */
export class IntrospectionUnavailable extends Error {}

const formEncode = (value) => encodeURIComponent(value).replace(/%20/g, '+');

/** Kept answers at most; when full, the oldest goes first (Map keeps insertion order). */
const CACHE_ENTRIES = 10_000;

/**
 * @param {{ issuer: string, clientId: string, clientSecret: string, timeoutMs?: number, cacheSeconds?: number, fetch?: typeof fetch, now?: () => number }} options
 * @returns {(token: string) => Promise<Record<string, unknown>>} the introspection answer
 */
export function introspectionClient({ issuer, clientId, clientSecret, timeoutMs = 3000, cacheSeconds = 0, fetch: fetchImpl = fetch, now = Date.now }) {
  const basic = 'Basic ' + Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64');
  let endpoint; // a promise, so concurrent first requests share one discovery call
  /** SHA-256 of a token -> { answer, until } (ms); the tokens themselves are not kept. */
  const cache = new Map();

  /** fetch bounded by `signal`, the response body too; any failure becomes IntrospectionUnavailable. */
  async function callCastellan(url, init, what, signal) {
    let response;
    let body;
    try {
      response = await fetchImpl(url, { ...init, redirect: 'error', signal });
      body = await response.text();
    } catch (error) {
      const reason = error?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'unreachable';
      throw new IntrospectionUnavailable(`${what}: ${reason}`);
    }
    if (response.status !== 200) throw new IntrospectionUnavailable(`${what}: HTTP ${response.status}`);
    try {
      const json = JSON.parse(body);
      if (typeof json === 'object' && json !== null && !Array.isArray(json)) return json;
    } catch {
      // fall through: an answer that is not a JSON object is as useless as none
    }
    throw new IntrospectionUnavailable(`${what}: not a JSON object`);
  }

  async function discover(signal) {
    // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
    const { origin, pathname } = new URL(issuer);
    const url = `${origin}/.well-known/oauth-authorization-server${pathname === '/' ? '' : pathname}`;
    const metadata = await callCastellan(url, { headers: { accept: 'application/json' } }, 'discovery', signal);
    // RFC 8414 §3.3: the issuer in the document must be the one we were configured with.
    if (metadata.issuer !== issuer) throw new IntrospectionUnavailable('discovery: issuer mismatch');
    if (typeof metadata.introspection_endpoint !== 'string') throw new IntrospectionUnavailable('discovery: no introspection_endpoint');
    return metadata.introspection_endpoint;
  }

  /** The kept answer for `key`, while it is fresh. */
  function cached(key) {
    const entry = cache.get(key);
    if (entry && entry.until > now()) return entry.answer;
    if (entry) cache.delete(key);
    return undefined;
  }

  /** Keeps an active answer for cacheSeconds, never past the token's own exp. */
  function keep(key, answer) {
    if (cacheSeconds <= 0 || answer.active !== true) return;
    const until = Math.min(now() + cacheSeconds * 1000, typeof answer.exp === 'number' ? answer.exp * 1000 : Infinity);
    if (until <= now()) return;
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value);
    cache.set(key, { answer, until });
  }

  return async function introspect(token) {
    const key = cacheSeconds > 0 ? createHash('sha256').update(token).digest('base64url') : undefined;
    const kept = key && cached(key);
    if (kept) return kept;
    // One deadline for this request, whether or not it also has to wait for discovery.
    const signal = AbortSignal.timeout(timeoutMs);
    endpoint ??= discover(signal);
    let url;
    try {
      url = await Promise.race([endpoint, abortion(signal)]);
    } catch (error) {
      if (!(error instanceof IntrospectionUnavailable)) throw new IntrospectionUnavailable(`discovery: no answer within ${timeoutMs} ms`);
      endpoint = undefined; // try discovery again on the next request
      throw error;
    }
    const answer = await callCastellan(url, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    }, 'introspection', signal);
    if (typeof answer.active !== 'boolean') throw new IntrospectionUnavailable('introspection: no active member');
    if (key) keep(key, answer);
    return answer;
  };
}

/** Rejects when `signal` aborts: a request that joined another's discovery still keeps its own deadline. */
function abortion(signal) {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
