/**
 * The HMAC keys that verify client_secret_jwt assertions, one resolver per client record.
 *
 * Why a cache: verifying with the secret as bytes made every assertion unseal the secret (AES-GCM
 * with the master key) and import it as a new HMAC key, which cost more than the HMAC itself
 * (loadtest/RESULTS.md profiles). The keys are kept as non-extractable CryptoKeys, so the secret
 * cannot be read back from them. Keyed by the record as client-jwks.ts keys a private_key_jwt
 * client's key set: the node's client cache hands out the same record until it changes or its TTL
 * ends, and a changed secret is always a new record, so an old secret is never looked up again.
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 * @spec https://www.rfc-editor.org/rfc/rfc7518#section-3.2 (HS256/384/512: HMAC with SHA-2)
 */
import { webcrypto } from 'node:crypto';
import type { JWTVerifyGetKey } from 'jose';
import { hmacSecret } from '../clients/client-service.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';

const HASH_OF_ALG: Record<string, string> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };

const resolvers = new WeakMap<ClientRecord, JWTVerifyGetKey>();

/** A resolver importing the secret once per HMAC algorithm, on first use. */
function resolverFor(secret: Uint8Array): JWTVerifyGetKey {
  const keys = new Map<string, Promise<webcrypto.CryptoKey>>();
  return async ({ alg }) => {
    const hash = HASH_OF_ALG[alg];
    // The caller allows HMAC algorithms only; anything else here is a bug, not a client error.
    if (!hash) throw new Error(`not an HMAC algorithm: ${alg}`);
    let key = keys.get(alg);
    if (!key) {
      key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash }, false, ['verify']);
      keys.set(alg, key);
    }
    return key;
  };
}

/** The verification key resolver for a client_secret_jwt client; undefined when it has no sealed secret. */
export function clientSecretKeys(ctx: Context, client: ClientRecord): JWTVerifyGetKey | undefined {
  let resolver = resolvers.get(client);
  if (!resolver) {
    const secret = hmacSecret(ctx, client);
    if (!secret) return undefined;
    resolver = resolverFor(new TextEncoder().encode(secret));
    resolvers.set(client, resolver);
  }
  return resolver;
}
