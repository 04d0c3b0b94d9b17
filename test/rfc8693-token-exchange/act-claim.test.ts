import { describe, expect, it } from 'vitest';
import { checkMayAct, issuedAct, MAX_ACT_DEPTH, parseActClaim } from '../../src/rfc8693-token-exchange/act-claim.js';
import type { ActClaim } from '../../src/storage/stores.js';

const US = 'https://as.example';

describe('RFC 8693 §4.1 act claim', () => {
  it('delegation names the actor, with iss only for another issuer, and nests the previous act', () => {
    expect(issuedAct(undefined, { sub: 'svc', iss: US }, US)).toEqual({ sub: 'svc' });
    expect(issuedAct({ sub: 'first' }, { sub: 'second', iss: 'https://idp.example' }, US)).toEqual({ sub: 'second', iss: 'https://idp.example', act: { sub: 'first' } });
  });

  it('impersonation keeps the subject\'s act as it was', () => {
    expect(issuedAct({ sub: 'first' }, undefined, US)).toEqual({ sub: 'first' });
    expect(issuedAct(undefined, undefined, US)).toBeUndefined();
  });

  it('parses well-formed claims only, and bounds the depth', () => {
    expect(parseActClaim({ sub: 'a', iss: 'b', act: { sub: 'c' }, extra: 1 })).toEqual({ sub: 'a', iss: 'b', act: { sub: 'c' } });
    expect(parseActClaim({ iss: 'b' })).toBeUndefined();
    expect(parseActClaim({ sub: 'a', act: 'b' })).toBeUndefined();
    let deep: ActClaim = { sub: 'a0' };
    for (let i = 1; i < MAX_ACT_DEPTH; i += 1) deep = { sub: `a${i}`, act: deep };
    expect(parseActClaim(deep)).toEqual(deep);
    expect(() => issuedAct(deep, { sub: 'one-more', iss: US }, US)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});

describe('RFC 8693 §4.4 may_act', () => {
  it('MUST allow only the party it names (sub, and iss when given)', () => {
    expect(() => checkMayAct(undefined, { sub: 'anyone', iss: US })).not.toThrow();
    expect(() => checkMayAct({ sub: 'svc' }, { sub: 'svc', iss: US })).not.toThrow();
    expect(() => checkMayAct({ sub: 'svc', iss: US }, { sub: 'svc', iss: 'https://other.example' })).toThrow('does not allow');
    expect(() => checkMayAct({ sub: 'svc' }, { sub: 'other', iss: US })).toThrow('does not allow');
    expect(() => checkMayAct({ iss: US }, { sub: 'svc', iss: US })).toThrow('malformed');
  });
});
