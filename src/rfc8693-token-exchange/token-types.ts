/**
 * The token type identifiers of RFC 8693 §3 that Castellan accepts, and the short names the CLI
 * takes for them. SAML assertions are not accepted (Castellan neither issues nor verifies them).
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-3
 */

export const TOKEN_TYPES = {
  access_token: 'urn:ietf:params:oauth:token-type:access_token',
  refresh_token: 'urn:ietf:params:oauth:token-type:refresh_token',
  id_token: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;

export type TokenType = (typeof TOKEN_TYPES)[keyof typeof TOKEN_TYPES];

/** Types a subject or actor token may have. */
export const PRESENTED_TOKEN_TYPES: readonly TokenType[] = Object.values(TOKEN_TYPES);

/** Types a client may ask for: an access token, by default an opaque one, or one that must be a JWT (RFC 9068). */
export const ISSUABLE_TOKEN_TYPES: readonly TokenType[] = [TOKEN_TYPES.access_token, TOKEN_TYPES.jwt];

export const isTokenType = (value: string): value is TokenType => (PRESENTED_TOKEN_TYPES as readonly string[]).includes(value);

/** `access_token` or the full URN to the URN; undefined for anything else. */
export function tokenTypeFromName(name: string): TokenType | undefined {
  if (isTokenType(name)) return name;
  return (TOKEN_TYPES as Record<string, TokenType>)[name];
}
