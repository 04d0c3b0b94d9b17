import { describe, expect, it } from 'vitest';
import { checkCodeChallenge } from '../../src/rfc7636-pkce/code-challenge.js';
import type { ClientRecord } from '../../src/storage/stores.js';

const client = (requirePkce: boolean) => ({ metadata: { require_pkce: requirePkce } }) as unknown as ClientRecord;
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('RFC 7636 §4.3 code_challenge at the authorization endpoint', () => {
  it('MUST accept an S256 challenge and keep it for the token endpoint', () => {
    expect(checkCodeChallenge(client(true), { code_challenge: challenge, code_challenge_method: 'S256' })).toEqual({ codeChallenge: challenge, codeChallengeMethod: 'S256' });
  });

  it('MUST reject plain, an absent method, and a method without challenge with invalid_request', () => {
    for (const params of [
      { code_challenge: challenge, code_challenge_method: 'plain' },
      { code_challenge: challenge },
      { code_challenge_method: 'S256' },
    ]) {
      expect(() => checkCodeChallenge(client(false), params)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
  });

  it('MUST require a challenge when the client requires PKCE (RFC 7636 §4.4.1)', () => {
    expect(() => checkCodeChallenge(client(true), {})).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('MAY proceed without PKCE for a client that does not require it', () => {
    expect(checkCodeChallenge(client(false), {})).toEqual({ codeChallenge: null, codeChallengeMethod: null });
  });
});
