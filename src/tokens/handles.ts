/**
 * Opaque handles: 32 random bytes (256 bits) in base64url; only their SHA-256 is stored.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10 (guessing a token must be infeasible)
 * @spec https://www.rfc-editor.org/rfc/rfc6819#section-5.1.4.1.3 (store hashes of tokens)
 */
import { hash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';

/**
 * Random bytes drawn from the CSPRNG a block at a time and handed out once each, as Node does for
 * randomUUID. A token request takes several ids and handles; one randomBytes call apiece (a buffer
 * and a trip into OpenSSL each) cost about 3.6 µs, a slice of the block 0.2 µs. Bytes handed out are
 * zeroed, so the block holds no id or handle already in use.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** `bytes` fresh random bytes, encoded; larger requests than the pool go to randomBytes directly. */
export function randomText(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (bytes > POOL_BYTES) return randomBytes(bytes).toString(encoding);
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const end = poolOffset + bytes;
  const text = pool.toString(encoding, poolOffset, end);
  pool.fill(0, poolOffset, end);
  poolOffset = end;
  return text;
}

export function newHandle(bytes = 32): string {
  return randomText(bytes, 'base64url');
}

// crypto.hash is the one-shot form (node 20.12+): no Hash object per call, which the introspection
// profile showed costing more than the digest itself on three hashes per request.
export function hashHandle(handle: string): string {
  return hash('sha256', handle, 'base64url');
}

/** Constant-time comparison of two strings of any length (both hashed first, so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  const left = hash('sha256', a, 'buffer');
  const right = hash('sha256', b, 'buffer');
  return timingSafeEqual(left, right) && a.length === b.length;
}

export function newId(): string {
  return randomText(16, 'hex');
}
