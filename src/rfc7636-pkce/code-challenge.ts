/**
 * PKCE at the authorization endpoint: which challenges are accepted and when one is required.
 * The verifier is checked at the token endpoint against the stored challenge.
 * @spec https://www.rfc-editor.org/rfc/rfc7636#section-4.3 (client sends the challenge)
 * @spec https://www.rfc-editor.org/rfc/rfc7636#section-4.4.1 (error response: invalid_request)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1 (S256; plain only where S256 is impossible)
 */
import { OAuthError } from '../errors/oauth-error.js';
import type { ClientRecord } from '../storage/stores.js';

export const CODE_CHALLENGE_METHODS = ['S256'] as const;

export interface CodeChallenge {
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
}

/** Syntax is already checked by the schema; this applies Castellan's policy. */
export function checkCodeChallenge(
  client: ClientRecord,
  params: { code_challenge?: string; code_challenge_method?: string },
): CodeChallenge {
  const { code_challenge: challenge, code_challenge_method: method } = params;
  if (challenge === undefined) {
    if (method !== undefined) throw new OAuthError('invalid_request', 'code_challenge_method was sent without code_challenge', { requirement: 'RFC7636-4.3-2' });
    // RFC 7636 §4.4.1: a server that requires PKCE answers a request without it with invalid_request.
    if (client.metadata.require_pkce !== false) throw new OAuthError('invalid_request', 'code_challenge is required (PKCE with S256)', { requirement: 'RFC7636-4.4.1-1' });
    return { codeChallenge: null, codeChallengeMethod: null };
  }
  // RFC 7636 §4.3 makes an absent method mean plain; Castellan supports S256 only, so it must be explicit.
  if (method === undefined) throw new OAuthError('invalid_request', 'code_challenge_method is required and must be S256', { requirement: 'RFC7636-4.3-2' });
  if (method !== 'S256') throw new OAuthError('invalid_request', 'code_challenge_method must be S256; plain is not supported', { requirement: 'RFC7636-4.3-2' });
  return { codeChallenge: challenge, codeChallengeMethod: 'S256' };
}
