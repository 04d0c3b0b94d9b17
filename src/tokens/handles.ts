/**
 * Opaque handles: 32 random bytes (256 bits) in base64url; only their SHA-256 is stored.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10 (guessing a token must be infeasible)
 * @spec https://www.rfc-editor.org/rfc/rfc6819#section-5.1.4.1.3 (store hashes of tokens)
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newHandle(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function hashHandle(handle: string): string {
  return createHash('sha256').update(handle, 'utf8').digest('base64url');
}

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}

export function newId(): string {
  return randomBytes(16).toString('hex');
}
