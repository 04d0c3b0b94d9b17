/**
 * The public keys a private_key_jwt client registered: its inline `jwks`, or its `jwks_uri` fetched
 * through the guarded outbound client (no private addresses in production, no redirects, size and
 * time limits) and cached, with one early refetch when a kid is unknown (the client rotated).
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (jwks, jwks_uri)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html (SSRF through client-supplied URLs)
 */
import { createLocalJWKSet, errors, type JWK, type JWTVerifyGetKey } from 'jose';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { outboundPolicy, safeFetch } from '../security/safe-fetch.js';
import { setBounded } from '../storage/bounded-map.js';

/** Seconds a fetched key set is used before it is fetched again. */
export const JWKS_MAX_AGE = 300;
/** Least seconds between two fetches of one jwks_uri, however many unknown kids arrive. */
export const JWKS_COOLDOWN = 30;

interface CachedKeys {
  keys: JWK[];
  fetchedAt: number;
}

/** Fetched key sets kept per node; past this the oldest is dropped (and fetched again when needed). */
const MAX_CACHED_SETS = 1_000;

const cache = new Map<string, CachedKeys>();

/** One resolver per key set: jose imports each key once and keeps it, instead of once per assertion. */
const resolvers = new WeakMap<JWK[], JWTVerifyGetKey>();

/**
 * Asymmetric keys only: an `oct` key in a JWK Set must never verify a private_key_jwt assertion.
 * The key arrays are those of the client record (cached per node) or of a fetched set, replaced
 * rather than changed, so the array itself identifies the keys.
 */
function localSet(keys: JWK[]): JWTVerifyGetKey {
  let resolver = resolvers.get(keys);
  if (!resolver) {
    resolver = createLocalJWKSet({ keys: keys.filter((key) => key.kty !== 'oct') });
    resolvers.set(keys, resolver);
  }
  return resolver;
}

async function fetchKeys(ctx: Context, uri: string): Promise<CachedKeys> {
  const response = await safeFetch(uri, { headers: { accept: 'application/json' } }, outboundPolicy(ctx.config));
  if (response.status !== 200) throw new Error(`jwks_uri answered ${response.status}`);
  const document = JSON.parse(response.body.toString('utf8')) as { keys?: unknown };
  if (!Array.isArray(document.keys)) throw new Error('jwks_uri did not return a JWK Set');
  const entry = { keys: document.keys as JWK[], fetchedAt: ctx.clock() };
  setBounded(cache, uri, entry, MAX_CACHED_SETS);
  return entry;
}

/** A key resolver for jose's jwtVerify; throws when the client has no usable keys. */
export async function clientKeySet(ctx: Context, client: ClientRecord): Promise<JWTVerifyGetKey> {
  if (client.metadata.jwks) return localSet(client.metadata.jwks.keys as JWK[]);
  const uri = client.metadata.jwks_uri;
  if (!uri) throw new Error('the client registered neither jwks nor jwks_uri');
  return remoteKeySet(ctx, uri);
}

/**
 * The key set published at `uri`, fetched through the guarded client and cached as above; also the
 * keys of issuers trusted for token exchange (src/rfc8693-token-exchange/trusted-issuers.ts).
 */
export async function remoteKeySet(ctx: Context, uri: string): Promise<JWTVerifyGetKey> {
  let entry = cache.get(uri);
  if (!entry || ctx.clock() - entry.fetchedAt >= JWKS_MAX_AGE) entry = await fetchKeys(ctx, uri);
  const current = entry;
  return async (header, token) => {
    try {
      return await localSet(current.keys)(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || ctx.clock() - current.fetchedAt < JWKS_COOLDOWN) throw error;
      return localSet((await fetchKeys(ctx, uri)).keys)(header, token);
    }
  };
}

/**
 * The client's registered public keys themselves (RFC 8705 §2.2 self_signed_tls_client_auth matches a
 * certificate against them): inline jwks, or jwks_uri through the same cache; `refetch` asks again
 * once the cooldown has passed, for a client that rotated its certificate.
 */
export async function clientPublicKeys(ctx: Context, client: ClientRecord, refetch = false): Promise<JWK[]> {
  if (client.metadata.jwks) return client.metadata.jwks.keys as JWK[];
  const uri = client.metadata.jwks_uri;
  if (!uri) return [];
  const entry = cache.get(uri);
  const age = entry ? ctx.clock() - entry.fetchedAt : Infinity;
  if (!entry || age >= JWKS_MAX_AGE || (refetch && age >= JWKS_COOLDOWN)) return (await fetchKeys(ctx, uri)).keys;
  return entry.keys;
}
