import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { s256Challenge, verifyCodeVerifier } from '../../src/rfc7636-pkce/code-verifier.js';

// RFC 7636 Appendix B, the worked S256 example: the 32 random octets, the verifier they encode, the
// SHA-256 octets of the verifier, and the challenge they encode. (The challenge is "...E9Melhoa2Owv...";
// a variant ending "uU9yRsuEK0" that circulates in notes is not the RFC's value.)
const VERIFIER_OCTETS = [116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121];
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const HASH_OCTETS = [19, 211, 30, 150, 26, 26, 216, 236, 47, 22, 177, 12, 76, 152, 46, 8, 118, 168, 120, 173, 109, 241, 68, 86, 110, 225, 137, 74, 203, 112, 249, 195];
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('RFC 7636 Appendix B S256 test vector', () => {
  it('has a verifier that is the base64url encoding of the Appendix B octets', () => {
    expect(Buffer.from(VERIFIER_OCTETS).toString('base64url')).toBe(VERIFIER);
    expect([...createHash('sha256').update(VERIFIER, 'ascii').digest()]).toEqual(HASH_OCTETS);
  });

  it('MUST derive the Appendix B code_challenge from the Appendix B code_verifier', () => {
    expect(s256Challenge(VERIFIER)).toBe(CHALLENGE);
    expect(Buffer.from(HASH_OCTETS).toString('base64url')).toBe(CHALLENGE);
  });

  it('MUST accept the Appendix B pair at verification and reject a one-character change', () => {
    expect(() => verifyCodeVerifier({ codeChallenge: CHALLENGE, codeChallengeMethod: 'S256' }, VERIFIER, true)).not.toThrow();
    expect(() => verifyCodeVerifier({ codeChallenge: CHALLENGE, codeChallengeMethod: 'S256' }, VERIFIER.replace('d', 'e'), true)).toThrow(/code_verifier/);
  });
});
