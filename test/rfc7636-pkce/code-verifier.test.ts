import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { authorizationCodeSchema } from '../../src/rfc6749-oauth2/authorization-code-grant.schema.js';
import { s256Challenge, verifyCodeVerifier } from '../../src/rfc7636-pkce/code-verifier.js';
import { validateParams } from '../../src/schema/validator.js';
import { pkcePair } from '../support/token-fixtures.js';

const errorCode = (work: () => void): string | undefined => {
  try {
    work();
    return undefined;
  } catch (error) {
    return (error as OAuthError).code;
  }
};

describe('RFC 7636 §4.1 code_verifier syntax (schema)', () => {
  const params = (code_verifier: string) => ({ code: 'c', redirect_uri: 'https://rp.example/cb', code_verifier });
  it('MUST accept 43 to 128 unreserved characters', () => {
    for (const verifier of ['a'.repeat(43), 'A-._~'.repeat(20) + 'abcdefgh', 'z'.repeat(128)]) {
      expect(validateParams(authorizationCodeSchema, params(verifier))).toMatchObject({ code_verifier: verifier });
    }
  });
  it('MUST reject a verifier shorter than 43 or longer than 128 characters with invalid_request', () => {
    expect(errorCode(() => validateParams(authorizationCodeSchema, params('a'.repeat(42))))).toBe('invalid_request');
    expect(errorCode(() => validateParams(authorizationCodeSchema, params('a'.repeat(129))))).toBe('invalid_request');
  });
  it('MUST reject characters outside the unreserved set', () => {
    expect(errorCode(() => validateParams(authorizationCodeSchema, params('a'.repeat(42) + '+')))).toBe('invalid_request');
    expect(errorCode(() => validateParams(authorizationCodeSchema, params('a'.repeat(42) + ' ')))).toBe('invalid_request');
  });
});

describe('RFC 7636 §4.6 code_verifier verification', () => {
  const { verifier, challenge } = pkcePair();
  const stored = { codeChallenge: challenge, codeChallengeMethod: 'S256' };

  it('MUST accept the verifier whose S256 hash is the stored challenge', () => {
    expect(s256Challenge(verifier)).toBe(challenge);
    expect(errorCode(() => verifyCodeVerifier(stored, verifier, true))).toBeUndefined();
  });
  it('MUST reject a mismatching verifier with invalid_grant', () => {
    expect(errorCode(() => verifyCodeVerifier(stored, pkcePair().verifier, true))).toBe('invalid_grant');
  });
  it('MUST reject a code issued with a challenge when no verifier is sent (downgrade)', () => {
    expect(errorCode(() => verifyCodeVerifier(stored, undefined, false))).toBe('invalid_grant');
  });
  it('MUST reject a verifier for a code issued without a challenge (RFC 9700 §4.8.2)', () => {
    expect(errorCode(() => verifyCodeVerifier({ codeChallenge: null, codeChallengeMethod: null }, verifier, false))).toBe('invalid_grant');
  });
  it('MUST reject the plain method: only S256 is supported', () => {
    expect(errorCode(() => verifyCodeVerifier({ codeChallenge: verifier, codeChallengeMethod: 'plain' }, verifier, true))).toBe('invalid_grant');
  });
  it('MUST require PKCE for a client whose policy requires it', () => {
    expect(errorCode(() => verifyCodeVerifier({ codeChallenge: null, codeChallengeMethod: null }, undefined, true))).toBe('invalid_grant');
    expect(errorCode(() => verifyCodeVerifier({ codeChallenge: null, codeChallengeMethod: null }, undefined, false))).toBeUndefined();
  });
});
