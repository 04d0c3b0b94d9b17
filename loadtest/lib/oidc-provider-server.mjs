/**
 * Child process: oidc-provider configured like Castellan for the comparison. Same clients, RS256
 * with a 2048-bit key, the storage adapter named in its settings (`adapter`: `memory`, an unbounded
 * Map, lib/map-adapter.mjs; `redis`, lib/redis-adapter.mjs with `redisUrl` and `redisPrefix`;
 * `sqlite`, lib/sqlite-adapter.mjs on `sqliteFile`), its development interactions for login and
 * consent, the device flow (RFC 8628), JWT access tokens for the client credentials clients (through a resource indicator, the
 * only way oidc-provider issues them), opaque ones otherwise, introspection on.
 * Reads its settings from the JSON file named by OP_CONFIG; prints "ready <port>" when listening.
 */
import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
import { MapAdapter } from './map-adapter.mjs';
import { createRedisAdapter } from './redis-adapter.mjs';
import { createSqliteAdapter } from './sqlite-adapter.mjs';

const settings = JSON.parse(readFileSync(process.env.OP_CONFIG, 'utf8'));
const storage = (() => {
  switch (settings.adapter ?? 'memory') {
    case 'memory': return { Adapter: MapAdapter, close: async () => undefined };
    case 'redis': {
      const { Adapter, client } = createRedisAdapter({ url: settings.redisUrl, prefix: settings.redisPrefix });
      return { Adapter, close: async () => client.quit() };
    }
    case 'sqlite': {
      const { Adapter, db } = createSqliteAdapter({ file: settings.sqliteFile });
      return { Adapter, close: async () => db.close() };
    }
    default: throw new Error(`unknown adapter ${settings.adapter}`);
  }
})();
const { port, issuer, clients, jwtClients, resource, users } = settings;
const jwtClientIds = new Set(jwtClients);
const accounts = new Map(users.map((user) => [user.username, user.claims]));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'op-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  adapter: storage.Adapter,
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [settings.cookieKey] },
  scopes: ['openid', 'offline_access', 'api', 'profile', 'email'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  async findAccount(_ctx, sub) {
    return { accountId: sub, async claims() { return { sub, ...(accounts.get(sub) ?? {}) }; } };
  },
  pkce: { required: () => true },
  // Rotate on every use, as Castellan does (oidc-provider's default rotates confidential clients' tokens late).
  rotateRefreshToken: () => true,
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    deviceFlow: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      async defaultResource(_ctx, client, oneOf) {
        return jwtClientIds.has(client.clientId) ? resource : oneOf;
      },
      async useGrantedResource() {
        return false;
      },
      async getResourceServerInfo(_ctx, indicator) {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return { scope: 'api', audience: resource, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  ttl: {
    AccessToken: 3600, ClientCredentials: 3600, AuthorizationCode: 600, IdToken: 3600,
    RefreshToken: 30 * 86400, DeviceCode: 600, Interaction: 900, Session: 12 * 3600, Grant: 30 * 86400,
  },
});
provider.proxy = false;
// Errors are counted by the load generator; logging each one would cost the server time.
provider.on('server_error', (_ctx, error) => console.error('server_error', error));

const server = provider.listen(port, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
const stop = () => server.close(() => storage.close().finally(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
