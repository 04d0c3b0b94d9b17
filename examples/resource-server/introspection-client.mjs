/**
 * Asks Castellan about an access token: the introspection endpoint is read once from the issuer's
 * discovery document, the resource server authenticates as a confidential client with
 * client_secret_basic, and every call to Castellan has a deadline, so a stalled authorization
 * server costs one bounded wait and a 503, never a hung request.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1 (introspection request, caller authenticated)
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2 (active, scope, client_id, sub, cnf)
 * @spec https://www.rfc-editor.org/rfc/rfc8414#section-3 (metadata at /.well-known/oauth-authorization-server)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 (client_secret_basic: form-encode id and secret first)
 */

/** Castellan could not be asked (down, stalled, refused our credentials): the caller answers 503. */
export class IntrospectionUnavailable extends Error {}

const formEncode = (value) => encodeURIComponent(value).replace(/%20/g, '+');

/**
 * @param {{ issuer: string, clientId: string, clientSecret: string, timeoutMs?: number, fetch?: typeof fetch }} options
 * @returns {(token: string) => Promise<Record<string, unknown>>} the introspection answer
 */
export function introspectionClient({ issuer, clientId, clientSecret, timeoutMs = 3000, fetch: fetchImpl = fetch }) {
  const basic = 'Basic ' + Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64');
  let endpoint; // a promise, so concurrent first requests share one discovery call

  /** fetch with a deadline covering the response body too; any failure becomes IntrospectionUnavailable. */
  async function callCastellan(url, init, what) {
    let response;
    let body;
    try {
      response = await fetchImpl(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
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

  async function discover() {
    // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
    const { origin, pathname } = new URL(issuer);
    const url = `${origin}/.well-known/oauth-authorization-server${pathname === '/' ? '' : pathname}`;
    const metadata = await callCastellan(url, { headers: { accept: 'application/json' } }, 'discovery');
    // RFC 8414 §3.3: the issuer in the document must be the one we were configured with.
    if (metadata.issuer !== issuer) throw new IntrospectionUnavailable('discovery: issuer mismatch');
    if (typeof metadata.introspection_endpoint !== 'string') throw new IntrospectionUnavailable('discovery: no introspection_endpoint');
    return metadata.introspection_endpoint;
  }

  return async function introspect(token) {
    endpoint ??= discover();
    let url;
    try {
      url = await endpoint;
    } catch (error) {
      endpoint = undefined; // try discovery again on the next request
      throw error;
    }
    const answer = await callCastellan(url, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    }, 'introspection');
    if (typeof answer.active !== 'boolean') throw new IntrospectionUnavailable('introspection: no active member');
    return answer;
  };
}
