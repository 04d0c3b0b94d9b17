/**
 * Opaque handles: 32 random bytes (256 bits) in base64url; only their SHA-256 is stored.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10 (guessing a token must be infeasible)
 * @spec https://www.rfc-editor.org/rfc/rfc6819#section-5.1.4.1.3 (store hashes of tokens)
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newHandle(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
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
  return randomBytes(16).toString('hex');
}
