/**
 * Opaque handles (codes, refresh tokens, opaque access tokens): unguessable, stored only as hashes.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10
 * @spec https://www.rfc-editor.org/rfc/rfc6819#section-5.1.4.1.3
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashHandle, newHandle, newId, randomText, safeEqual } from '../../src/tokens/handles.js';

describe('RFC 6749 §10.10 credential guessing', () => {
  it('MUST make handles of 256 random bits, so guessing one is below 2^-128', () => {
    const handles = Array.from({ length: 1000 }, () => newHandle());
    for (const handle of handles) {
      expect(handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(handle, 'base64url')).toHaveLength(32);
    }
    expect(new Set(handles).size).toBe(handles.length);
  });

  it('MUST hand out each random byte once, across refills of the block it draws from', () => {
    // 4096-byte block: 10,000 handles of 32 bytes and ids of 16 cross it about 120 times.
    const values = Array.from({ length: 10_000 }, (_, i) => (i % 2 === 0 ? newHandle() : newId()));
    expect(new Set(values).size).toBe(values.length);
    for (const id of values.filter((_, i) => i % 2 === 1)) expect(id).toMatch(/^[0-9a-f]{32}$/);
    // No run of zero bytes where the block was zeroed behind a handed-out value.
    expect(values.filter((v, i) => (i % 2 === 0 ? Buffer.from(v, 'base64url') : Buffer.from(v, 'hex')).every((b) => b === 0))).toEqual([]);
  });

  it('MUST give a request larger than the block fresh bytes of the requested length', () => {
    const large = randomText(5000, 'hex');
    expect(large).toMatch(/^[0-9a-f]{10000}$/);
    expect(new Set(large.match(/.{2}/g)).size).toBeGreaterThan(200);
  });

  it('MUST store a handle only as its SHA-256, never the handle itself', () => {
    const handle = newHandle();
    expect(hashHandle(handle)).toBe(createHash('sha256').update(handle).digest('base64url'));
    expect(hashHandle(handle)).not.toContain(handle);
  });

  it('compares secrets whatever their lengths, equal only when identical', () => {
    expect(safeEqual('secret-value', 'secret-value')).toBe(true);
    expect(safeEqual('secret-value', 'secret-valuE')).toBe(false);
    expect(safeEqual('secret-value', 'secret-value-longer')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});
