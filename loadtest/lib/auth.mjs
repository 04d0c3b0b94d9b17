/**
 * Synchronous request builders for the load generator (autocannon's setupRequest cannot await):
 * client authentication for each token endpoint method, RFC 7523 assertions signed with node:crypto,
 * DPoP proofs, and PKCE pairs.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 (Basic and body credentials)
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-3 (assertion claims)
 * @spec https://www.rfc-editor.org/rfc/rfc7636#section-4.2 (S256 challenge)
 */
import { createHash, createHmac, randomBytes, sign } from 'node:crypto';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** RFC 6749 §2.3.1: id and secret are form-urlencoded before the Basic encoding. */
const formEncode = (value) => encodeURIComponent(value).replace(/%20/g, '+');

export function basicAuthorization(clientId, secret) {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64')}`;
}

function assertionClaims(clientId, audience) {
  const now = Math.floor(Date.now() / 1000);
  return { iss: clientId, sub: clientId, aud: audience, iat: now, exp: now + 60, jti: randomBytes(16).toString('base64url') };
}

export function hs256Assertion(clientId, secret, audience) {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(assertionClaims(clientId, audience))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function es256Assertion(clientId, privateKey, kid, audience) {
  const input = `${b64url({ alg: 'ES256', typ: 'JWT', kid })}.${b64url(assertionClaims(clientId, audience))}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * For a client of the fixture and the token endpoint's audience, a function returning fresh
 * { headers, params } for one request (assertions carry a new jti each time).
 */
export function clientAuth(fixture, clientId, tokenEndpoint) {
  const client = fixture.clients.find((c) => c.client_id === clientId);
  if (!client) throw new Error(`unknown client ${clientId}`);
  const secret = fixture.secrets[clientId];
  switch (client.token_endpoint_auth_method) {
    case 'client_secret_basic': {
      const headers = { authorization: basicAuthorization(clientId, secret) };
      return () => ({ headers, params: {} });
    }
    case 'client_secret_post':
      return () => ({ headers: {}, params: { client_id: clientId, client_secret: secret } });
    case 'client_secret_jwt':
      // aud: the token endpoint, which RFC 7523 §3 names and both servers accept (the issuer is not accepted by oidc-provider).
      return () => ({ headers: {}, params: { client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: hs256Assertion(clientId, secret, tokenEndpoint) } });
    case 'private_key_jwt':
      return () => ({ headers: {}, params: { client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: es256Assertion(clientId, fixture.clientKey.privateKey, fixture.clientKey.kid, tokenEndpoint) } });
    default:
      throw new Error(`no load-test authentication for ${client.token_endpoint_auth_method}`);
  }
}

/**
 * RFC 9449 §4.2: a DPoP proof for one request, ES256 with the public key in the header, a fresh jti.
 * `key` is { privateKey, publicJwk } (the fixture's dpopKey).
 */
export function dpopProof(key, htm, htu) {
  const input = `${b64url({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })}.${b64url({ jti: randomBytes(16).toString('base64url'), htm, htu, iat: Math.floor(Date.now() / 1000) })}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export const formBody = (params) => new URLSearchParams(params).toString();
export const FORM = 'application/x-www-form-urlencoded';
