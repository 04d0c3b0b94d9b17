/**
 * One set of clients, keys and a user, registered identically on every server under test: Castellan
 * through its seed file, oidc-provider through its static client list. Secrets and keys are random
 * per run; the private_key_jwt client signs with ES256 so the load generator's own signing cost
 * (on the same 2 cores) stays small next to the server's work.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export const REDIRECT_URI = 'http://127.0.0.1:9/cb';
/** The resource server oidc-provider issues JWT access tokens for (Castellan's JWT clients use aud = issuer). */
export const RESOURCE = 'urn:castellan:bench:api';
/** The downstream service the gateway exchanges users' tokens for (RFC 8693 audience). */
export const BACKEND_AUDIENCE = 'https://backend.bench.test';

const secret = () => randomBytes(32).toString('base64url');

/** Client ids by role; every server registers the same ids. */
export const CLIENTS = {
  ccBasicJwt: 'cc-basic-jwt',
  ccPostJwt: 'cc-post-jwt',
  ccSecretJwt: 'cc-secret-jwt',
  ccPrivateKeyJwt: 'cc-private-key-jwt',
  ccOpaque: 'cc-basic-opaque',
  web: 'web-app',
  webRefresh: 'web-refresh',
  rateLimited: 'cc-rate-limited',
  device: 'device-app',
  gateway: 'exchange-gateway',
};

export function makeFixture() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = 'bench-client-key';
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  const secrets = Object.fromEntries(Object.values(CLIENTS).map((id) => [id, secret()]));
  delete secrets[CLIENTS.ccPrivateKeyJwt];
  delete secrets[CLIENTS.device];

  const cc = (clientId, method, format) => ({
    client_id: clientId,
    client_name: clientId,
    grant_types: ['client_credentials'],
    response_types: [],
    token_endpoint_auth_method: method,
    ...(method === 'private_key_jwt' ? { jwks: { keys: [publicJwk] }, token_endpoint_auth_signing_alg: 'ES256' } : { client_secret: secrets[clientId] }),
    ...(method === 'client_secret_jwt' ? { token_endpoint_auth_signing_alg: 'HS256' } : {}),
    scope: 'api',
    access_token_format: format,
  });
  const web = (clientId, grantTypes, scope) => ({
    client_id: clientId,
    client_name: clientId,
    client_secret: secrets[clientId],
    grant_types: grantTypes,
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
    access_token_format: 'opaque',
  });
  const clients = [
    cc(CLIENTS.ccBasicJwt, 'client_secret_basic', 'jwt'),
    cc(CLIENTS.ccPostJwt, 'client_secret_post', 'jwt'),
    cc(CLIENTS.ccSecretJwt, 'client_secret_jwt', 'jwt'),
    cc(CLIENTS.ccPrivateKeyJwt, 'private_key_jwt', 'jwt'),
    cc(CLIENTS.ccOpaque, 'client_secret_basic', 'opaque'),
    cc(CLIENTS.rateLimited, 'client_secret_basic', 'opaque'),
    web(CLIENTS.web, ['authorization_code'], 'openid profile email'),
    web(CLIENTS.webRefresh, ['authorization_code', 'refresh_token'], 'openid profile email offline_access'),
    // A public client, as TVs and command-line tools are (RFC 8628 §3.1 allows them).
    {
      client_id: CLIENTS.device,
      client_name: CLIENTS.device,
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
      response_types: [],
      token_endpoint_auth_method: 'none',
      scope: 'openid profile',
      access_token_format: 'opaque',
    },
    // An API gateway that calls a backend for the user (RFC 8693 delegation): its own client
    // credentials token is the actor, the user's access token from web-app the subject.
    {
      ...cc(CLIENTS.gateway, 'client_secret_basic', 'jwt'),
      grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      token_exchange: {
        subject_token_types: ['urn:ietf:params:oauth:token-type:access_token'],
        subject_clients: [CLIENTS.web],
        audiences: [BACKEND_AUDIENCE],
        impersonation: false,
        delegation: true,
      },
    },
  ];
  const users = Array.from({ length: 64 }, (_, i) => ({
    username: `bench-user-${i}`,
    password: `bench-password-${secret()}`,
    claims: { name: `Bench User ${i}`, email: `bench-user-${i}@example.test`, email_verified: true },
  }));
  // The key a DPoP-binding client proves possession of (RFC 9449), apart from its assertion key.
  const dpop = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { clients, secrets, users, clientKey: { privateKey, kid, publicJwk }, dpopKey: { privateKey: dpop.privateKey, publicJwk: dpop.publicKey.export({ format: 'jwk' }) } };
}

/** The Castellan seed file for a fixture. */
export function castellanSeed(fixture) {
  return { clients: fixture.clients, users: fixture.users };
}

/** The oidc-provider static client list for a fixture (its metadata names, no Castellan extensions). */
export function oidcProviderClients(fixture) {
  // oidc-provider has no token exchange: the gateway client is Castellan's alone.
  return fixture.clients.filter((client) => !client.token_exchange).map(({ access_token_format: _format, require_pkce: _pkce, ...client }) => client);
}

/** Client ids whose access tokens are JWTs (oidc-provider: via the resource indicator). */
export function jwtClientIds(fixture) {
  return fixture.clients.filter((c) => c.access_token_format === 'jwt').map((c) => c.client_id);
}
