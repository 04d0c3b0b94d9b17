import { describe, expect, it } from 'vitest';
import { exchangedAudience, exchangedScope } from '../../src/rfc8693-token-exchange/exchange-limits.js';

describe('RFC 8693 §2.1 scope of the exchanged token', () => {
  it('defaults to the subject token\'s scope within the policy cap', () => {
    expect(exchangedScope(undefined, 'a b c', {})).toBe('a b c');
    expect(exchangedScope(undefined, 'a b c', { scopes: ['b', 'z'] })).toBe('b');
  });

  it('MUST NOT be broader than the subject token\'s or the cap: invalid_scope', () => {
    expect(exchangedScope('a', 'a b', {})).toBe('a');
    expect(() => exchangedScope('a z', 'a b', {})).toThrow(expect.objectContaining({ code: 'invalid_scope' }));
    expect(() => exchangedScope('b', 'a b', { scopes: ['a'] })).toThrow('exchange policy');
  });
});

describe('RFC 8693 §2.1 audience and resource of the exchanged token', () => {
  const policy = { audiences: ['urn:a', 'https://b.example/', 'urn:c'] };
  const first = { audience: ['urn:a'], exchanged: false };

  it('takes audience and resource together, each in the policy', () => {
    expect(exchangedAudience({ audience: 'urn:c', resource: 'https://b.example/' }, first, policy)).toEqual(['urn:c', 'https://b.example/']);
    expect(() => exchangedAudience({ audience: 'urn:x' }, first, policy)).toThrow(expect.objectContaining({ code: 'invalid_target' }));
    expect(() => exchangedAudience({ resource: 'not a uri' }, first, policy)).toThrow(expect.objectContaining({ code: 'invalid_target' }));
  });

  it('keeps the subject\'s audience within the policy when none is asked for, else asks for a target', () => {
    expect(exchangedAudience({}, { audience: ['urn:a', 'urn:x'], exchanged: false }, policy)).toEqual(['urn:a']);
    expect(() => exchangedAudience({}, { audience: [], exchanged: false }, policy)).toThrow('name the target');
  });

  it('a token obtained by exchange may only be narrowed', () => {
    const exchanged = { audience: ['urn:a', 'urn:c'], exchanged: true };
    expect(exchangedAudience({ audience: 'urn:c' }, exchanged, policy)).toEqual(['urn:c']);
    expect(() => exchangedAudience({ audience: ['urn:c', 'https://b.example/'] }, exchanged, policy)).toThrow('only be narrowed');
  });
});
