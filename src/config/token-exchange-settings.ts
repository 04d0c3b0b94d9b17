/**
 * Settings of token exchange: the external issuers whose JWTs may be presented as subject or actor
 * tokens (TOKEN_EXCHANGE_TRUSTED_ISSUERS), each with the JWKS URL its signatures are checked
 * against. The URL is fetched through the guarded outbound client (src/security/safe-fetch.ts), so
 * the production rules (https, no private addresses) apply at fetch time as to every outbound URL.
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-5 (the server decides which tokens it trusts)
 * @spec https://www.rfc-editor.org/rfc/rfc7517#section-5 (JWK Set)
 */

export interface TrustedIssuer {
  /** The `iss` value, compared exactly. */
  issuer: string;
  /** Where its JWK Set is published. */
  jwks_uri: string;
}

export interface TokenExchangeConfig {
  tokenExchangeTrustedIssuers: TrustedIssuer[];
}

const MAX_TRUSTED_ISSUERS = 50;

const isHttpUrl = (value: unknown): value is string => {
  if (typeof value !== 'string' || value.length > 2000) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
};

/**
 * A JSON array (environment) or an array (CONFIG_FILE) of `{"issuer": "...", "jwks_uri": "..."}`,
 * each issuer listed once; members other than these two are refused so a typo is not ignored.
 */
export function asTrustedIssuers(raw: unknown): TrustedIssuer[] | undefined {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(value) || value.length > MAX_TRUSTED_ISSUERS) return undefined;
  const seen = new Set<string>();
  const list: TrustedIssuer[] = [];
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
    const { issuer, jwks_uri: jwksUri, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || typeof issuer !== 'string' || issuer.length === 0 || issuer.length > 2000 || !isHttpUrl(jwksUri)) return undefined;
    if (seen.has(issuer)) return undefined;
    seen.add(issuer);
    list.push({ issuer, jwks_uri: jwksUri });
  }
  return list;
}

/** Problems of the combination: our own issuer is verified against our own keys, never a listed JWKS. */
export function tokenExchangeProblems(config: TokenExchangeConfig & { issuer: string; production: boolean }): string[] {
  const problems: string[] = [];
  for (const trusted of config.tokenExchangeTrustedIssuers ?? []) {
    if (trusted.issuer === config.issuer) problems.push('TOKEN_EXCHANGE_TRUSTED_ISSUERS must not list this server\'s own ISSUER');
    if (config.production && !trusted.jwks_uri.startsWith('https:')) problems.push(`TOKEN_EXCHANGE_TRUSTED_ISSUERS: jwks_uri of ${trusted.issuer} must be https in production`);
  }
  return problems;
}
