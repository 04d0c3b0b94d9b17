/**
 * The HMAC keys that verify client_secret_jwt assertions, one per stored (sealed) client secret.
 *
 * Why a cache: verifying with the secret as bytes made every assertion unseal the secret (AES-GCM
 * with the master key) and import it as a new HMAC key, which cost more than the HMAC itself
 * (loadtest/RESULTS.md profiles). The keys are kept as non-extractable CryptoKeys, so the secret
 * cannot be read back from them, and keyed by the sealed secret: a rotated secret is a new entry,
 * and the old one is never looked up again.
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 * @spec https://www.rfc-editor.org/rfc/rfc7518#section-3.2 (HS256/384/512: HMAC with SHA-2)
 */
import { webcrypto } from 'node:crypto';
import type { JWTVerifyGetKey } from 'jose';
import { hmacSecret } from '../clients/client-service.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';

/** Sealed secrets remembered; past this the map starts again (a node rarely sees this many clients). */
const MAX_ENTRIES = 1_000;

const HASH_OF_ALG: Record<string, string> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };

const resolvers = new Map<string, JWTVerifyGetKey>();

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
  const sealed = client.secretEncrypted;
  if (!sealed) return undefined;
  let resolver = resolvers.get(sealed);
  if (!resolver) {
    const secret = hmacSecret(ctx, client);
    if (!secret) return undefined;
    resolver = resolverFor(new TextEncoder().encode(secret));
    if (resolvers.size >= MAX_ENTRIES) resolvers.clear();
    resolvers.set(sealed, resolver);
  }
  return resolver;
}
