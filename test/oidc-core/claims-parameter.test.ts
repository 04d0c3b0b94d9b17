import { describe, expect, it } from 'vitest';
import { parseClaimsParameter, requestedClaimNames, requireAuthTime } from '../../src/oidc-core/claims-parameter.js';

describe('OIDC Core §5.5 claims request parameter', () => {
  it('MUST parse userinfo and id_token members and ignore others', () => {
    const claims = parseClaimsParameter(JSON.stringify({ userinfo: { email: { essential: true }, name: null }, id_token: { auth_time: null }, other: 1 }));
    expect(claims).toEqual({ userinfo: { email: { essential: true }, name: null }, id_token: { auth_time: null } });
    expect(requestedClaimNames(claims, 'userinfo')).toEqual(['email', 'name']);
    expect(requestedClaimNames(null, 'id_token')).toEqual([]);
  });

  it.each([
    ['not JSON', '{nope'],
    ['an array', '[]'],
    ['a non-object member', '{"userinfo": []}'],
    ['a non-object claim request', '{"userinfo": {"email": true}}'],
    ['a non-boolean essential', '{"id_token": {"acr": {"essential": "yes"}}}'],
    ['non-array values', '{"id_token": {"acr": {"values": "x"}}}'],
  ])('MUST reject %s with invalid_request', (_name, text) => {
    expect(() => parseClaimsParameter(text)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('MUST NOT let __proto__ reach the prototype', () => {
    const claims = parseClaimsParameter('{"userinfo": {"__proto__": {"polluted": true}, "email": null}}');
    expect(Object.getPrototypeOf(claims!.userinfo)).toBe(Object.prototype);
    expect(requestedClaimNames(claims, 'userinfo')).toEqual(['email']);
  });

  it('MUST record auth_time as essential when max_age is used (OIDC Core §3.1.2.1)', () => {
    expect(requireAuthTime(null)).toEqual({ id_token: { auth_time: { essential: true } } });
    expect(requireAuthTime({ userinfo: { email: null }, id_token: { acr: null } })).toEqual({
      userinfo: { email: null },
      id_token: { acr: null, auth_time: { essential: true } },
    });
  });
});
