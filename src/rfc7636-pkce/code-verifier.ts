/**
 * Checks a code_verifier against the challenge stored with the authorization code (S256 only).
 * @spec https://www.rfc-editor.org/rfc/rfc7636#section-4.1 (verifier syntax)
 * @spec https://www.rfc-editor.org/rfc/rfc7636#section-4.6 (server verifies before returning tokens)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.8.2 (PKCE downgrade)
 */
import { hash } from 'node:crypto';
import { OAuthError } from '../errors/oauth-error.js';
import { safeEqual } from '../tokens/handles.js';

/** RFC 7636 §4.1: 43-128 unreserved characters. Used by the token request schema. */
export const CODE_VERIFIER_PATTERN = '^[A-Za-z0-9._~-]{43,128}$';

/** RFC 7636 §4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))). */
export function s256Challenge(verifier: string): string {
  // The schema admits only unreserved ASCII, so hash's UTF-8 encoding is the ASCII octets.
  return hash('sha256', verifier, 'base64url');
}

export interface StoredChallenge {
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
}

/**
 * Throws invalid_grant unless the verifier proves possession of the challenge. `requirePkce` is the
 * client's policy; the authorization endpoint enforces it too, this is the second line.
 */
export function verifyCodeVerifier(code: StoredChallenge, verifier: string | undefined, requirePkce: boolean): void {
  if (code.codeChallenge === null) {
    // RFC 9700 §4.8.2: a verifier for a code issued without a challenge signals a downgrade attempt.
    if (verifier !== undefined) throw new OAuthError('invalid_grant', 'code_verifier was sent but the authorization request had no code_challenge', { requirement: 'RFC9700-2.1.1-2' });
    if (requirePkce) throw new OAuthError('invalid_grant', 'PKCE is required for this client', { requirement: 'RFC9700-2.1.1-1' });
    return;
  }
  if (verifier === undefined) throw new OAuthError('invalid_grant', 'code_verifier is required for this code', { requirement: 'RFC7636-4.5-1' });
  if (code.codeChallengeMethod !== 'S256') throw new OAuthError('invalid_grant', 'only the S256 code_challenge_method is supported', { requirement: 'RFC7636-4.3-2' });
  // RFC 7636 §4.6: compare the derived challenge with the stored one; constant time keeps it unguessable.
  if (!safeEqual(s256Challenge(verifier), code.codeChallenge)) throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge', { requirement: 'RFC7636-4.6-1' });
}
