/**
 * The user_code, RFC 8628 §6.1 and §3.3.
 */
import { describe, expect, it } from 'vitest';
import { formatUserCode, hashUserCode, newUserCode, normaliseUserCode, USER_CODE_ALPHABET, userCodePrefix } from '../../src/rfc8628-device-authorization/user-code.js';

describe('RFC 8628 §6.1 user code', () => {
  it('SHOULD use a character set without look-alikes: 20 consonants, no vowels or digits', () => {
    expect(USER_CODE_ALPHABET).toHaveLength(20);
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY0-9]/);
  });

  it('is 8 characters shown as XXXX-XXXX (about 34.5 bits)', () => {
    for (let i = 0; i < 50; i += 1) expect(newUserCode()).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(8 * Math.log2(20)).toBeGreaterThan(34.5);
  });

  it('draws each character from the whole alphabet with the injected uniform draw (no modulo)', () => {
    const sizes: number[] = [];
    let next = 0;
    const code = newUserCode((size) => {
      sizes.push(size);
      return next++ % size;
    });
    expect(sizes).toEqual(Array(8).fill(20));
    expect(code).toBe('BCDF-GHJK');
  });

  it('uses every character over many draws', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) for (const c of newUserCode().replace('-', '')) seen.add(c);
    expect(seen.size).toBe(20);
  });
});

describe('RFC 8628 §3.3 user code entry', () => {
  it('SHOULD compare case-insensitively, ignoring dashes and spaces', () => {
    expect(normaliseUserCode('bcdf-ghjk')).toBe('BCDFGHJK');
    expect(normaliseUserCode(' BCDF GHJK ')).toBe('BCDFGHJK');
    expect(normaliseUserCode('bcdfghjk')).toBe('BCDFGHJK');
    expect(hashUserCode(normaliseUserCode('bcdf-ghjk')!)).toBe(hashUserCode(normaliseUserCode('BCDFGHJK')!));
  });

  it('refuses what cannot be a code without looking it up', () => {
    for (const typed of ['', 'BCDF-GHJ', 'BCDF-GHJKL', 'ABCD-EFGH', 'BCDF-GHJ1', 'x'.repeat(65)]) expect(normaliseUserCode(typed)).toBeUndefined();
  });

  it('formats and prefixes: the audit log sees two characters at most', () => {
    expect(formatUserCode('BCDFGHJK')).toBe('BCDF-GHJK');
    expect(userCodePrefix('bcdf-ghjk')).toBe('BC');
  });
});
