/**
 * Which standard claims each scope releases, and building the claim set for a user.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
 */
import type { UserProfile } from '../storage/stores.js';

export const SCOPE_CLAIMS: Record<string, readonly string[]> = {
  profile: ['name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

export const SUPPORTED_SCOPES = ['openid', 'offline_access', ...Object.keys(SCOPE_CLAIMS)];
export const SUPPORTED_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid', ...Object.values(SCOPE_CLAIMS).flat()];

export function scopeList(scope: string): string[] {
  return scope.split(' ').filter(Boolean);
}

/** Claim names released by the granted scopes. */
export function claimNamesForScope(scope: string): Set<string> {
  const names = new Set<string>();
  for (const value of scopeList(scope)) for (const claim of SCOPE_CLAIMS[value] ?? []) names.add(claim);
  return names;
}

/** The user's claims restricted to `names`, always with `sub`; updated_at is the record's when not stored. */
export function userClaims(user: UserProfile, names: Iterable<string>): Record<string, unknown> {
  const result: Record<string, unknown> = { sub: user.id };
  for (const name of names) {
    if (name === 'sub') continue;
    if (name === 'updated_at') {
      result.updated_at = typeof user.claims.updated_at === 'number' ? user.claims.updated_at : user.updatedAt;
      continue;
    }
    if (user.claims[name] !== undefined) result[name] = user.claims[name];
  }
  return result;
}
