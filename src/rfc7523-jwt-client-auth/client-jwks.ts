/**
 * The public keys a private_key_jwt client registered: its inline `jwks`, or its `jwks_uri` fetched
 * through the guarded outbound client (no private addresses in production, no redirects, size and
 * time limits) and cached, with one early refetch when a kid is unknown (the client rotated).
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (jwks, jwks_uri)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html (SSRF through client-supplied URLs)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (temporarily_unavailable while the key endpoint is down)
 */
import { createLocalJWKSet, errors, type JWK, type JWTVerifyGetKey } from 'jose';
import { OAuthError } from '../errors/oauth-error.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { OutboundRequestError, outboundPolicy, safeFetch, type SafeResponse } from '../security/safe-fetch.js';
import { setBounded } from '../storage/bounded-map.js';

/** Seconds a fetched key set is used before it is fetched again. */
export const JWKS_MAX_AGE = 300;
/** Least seconds between two fetches of one jwks_uri, however many unknown kids arrive. */
export const JWKS_COOLDOWN = 30;
/** Seconds a client is asked to wait (Retry-After) when its jwks_uri does not answer. */
export const JWKS_RETRY_AFTER = 5;

/**
 * The private cause of a 503 for keys that could not be fetched: the audit log records it as a
 * fault of the client's key endpoint, apart from failed authentications.
 */
export class KeyEndpointFault extends Error {
  constructor(readonly uri: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'KeyEndpointFault';
  }
}

/**
 * An outage of the client's key endpoint (no answer, 5xx, 408, 429, a body that is not JSON) is
 * not bad credentials: the request may succeed later, so 503 temporarily_unavailable. A refusal by
 * the outbound policy (redirect, forbidden address, oversized body), another status or a JSON
 * document that is no JWK Set is what the client published, and stays a refusal.
 */
const unavailable = (uri: string, message: string, cause?: unknown) =>
  new OAuthError('temporarily_unavailable', 'The key set at the jwks_uri cannot be fetched now; retry later', {
    requirement: 'CASTELLAN-JWKS-1', cause: new KeyEndpointFault(uri, message, { cause }), headers: { 'Retry-After': String(JWKS_RETRY_AFTER) },
  });

const isFaultStatus = (status: number) => status >= 500 || status === 408 || status === 429;

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
  let response: SafeResponse;
  try {
    response = await safeFetch(uri, { headers: { accept: 'application/json' } }, outboundPolicy(ctx.config));
  } catch (error) {
    if (error instanceof OutboundRequestError && error.unreachable) throw unavailable(uri, `jwks_uri did not answer: ${error.message}`, error);
    throw error;
  }
  if (isFaultStatus(response.status)) throw unavailable(uri, `jwks_uri answered ${response.status}`);
  if (response.status !== 200) throw new Error(`jwks_uri answered ${response.status}`);
  let document: { keys?: unknown };
  try {
    document = JSON.parse(response.body.toString('utf8')) as { keys?: unknown };
  } catch (error) {
    throw unavailable(uri, 'jwks_uri answered a body that is not JSON', error);
  }
  if (document === null || !Array.isArray(document.keys)) throw new Error('jwks_uri did not return a JWK Set');
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
