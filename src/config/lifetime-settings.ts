/**
 * The ceilings of per-client token lifetimes. A client's metadata may ask for its own access,
 * refresh, ID token and code lifetimes (clients/token-lifetimes.ts); the server caps each at
 * these maxima. Unset, a maximum is the server-wide lifetime itself, so a client can shorten its
 * tokens on any server but lengthen them only where the operator allowed it.
 */
import type { Config } from './config.js';

export interface LifetimeConfig {
  accessTokenTtlMax?: number;
  refreshTokenTtlMax?: number;
  idTokenTtlMax?: number;
  authorizationCodeTtlMax?: number;
}

/** Each maximum beside the server-wide lifetime it caps; a maximum below the lifetime is a contradiction. */
const PAIRS = [
  ['ACCESS_TOKEN_TTL_MAX', 'accessTokenTtlMax', 'ACCESS_TOKEN_TTL', 'accessTokenTtl'],
  ['REFRESH_TOKEN_TTL_MAX', 'refreshTokenTtlMax', 'REFRESH_TOKEN_TTL', 'refreshTokenTtl'],
  ['ID_TOKEN_TTL_MAX', 'idTokenTtlMax', 'ID_TOKEN_TTL', 'idTokenTtl'],
  ['AUTHORIZATION_CODE_TTL_MAX', 'authorizationCodeTtlMax', 'AUTHORIZATION_CODE_TTL', 'authorizationCodeTtl'],
] as const;

export function lifetimeProblems(config: Config): string[] {
  const problems: string[] = [];
  for (const [maxEnv, maxKey, ttlEnv, ttlKey] of PAIRS) {
    const max = config[maxKey];
    if (max !== undefined && max < config[ttlKey]) problems.push(`${maxEnv} must not be shorter than ${ttlEnv}`);
  }
  return problems;
}
