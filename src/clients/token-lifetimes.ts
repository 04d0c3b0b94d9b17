/**
 * Per-client token lifetimes: a client's metadata may name its own access token, refresh token,
 * ID token and authorization code lifetimes, in seconds (Castellan extensions, like `resources`).
 * Every issuance asks here; the answer is the client's value, else the server-wide one, never
 * above the server's maximum (config/lifetime-settings.ts), so an operator lowering a maximum
 * shortens every client's tokens at once, without editing clients.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (extension metadata)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (a short code lifetime: ten minutes at most is recommended)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token lifetime bounds a stolen token's use)
 */
import type { Config } from '../config/config.js';
import { OAuthError } from '../errors/oauth-error.js';
import type { ClientMetadata } from '../storage/stores.js';

export type LifetimeKind = 'access_token' | 'refresh_token' | 'id_token' | 'authorization_code';

/** The metadata member for each lifetime. */
export const LIFETIME_METADATA: Record<LifetimeKind, string> = {
  access_token: 'access_token_lifetime',
  refresh_token: 'refresh_token_lifetime',
  id_token: 'id_token_lifetime',
  authorization_code: 'authorization_code_lifetime',
};

/** The lifetime members in the request schemas of registration and the seed file (validated below). */
export const LIFETIME_PROPERTIES: Record<string, { type: 'integer' }> = Object.fromEntries(Object.values(LIFETIME_METADATA).map((name) => [name, { type: 'integer' }]));

/** A lifetime longer than ten years is a mistake, not a policy. */
const LONGEST = 10 * 366 * 86_400;

function serverLifetime(config: Config, kind: LifetimeKind): { lifetime: number; max: number } {
  switch (kind) {
    case 'access_token':
      return { lifetime: config.accessTokenTtl, max: config.accessTokenTtlMax ?? config.accessTokenTtl };
    case 'refresh_token':
      return { lifetime: config.refreshTokenTtl, max: config.refreshTokenTtlMax ?? config.refreshTokenTtl };
    case 'id_token':
      return { lifetime: config.idTokenTtl, max: config.idTokenTtlMax ?? config.idTokenTtl };
    case 'authorization_code':
      return { lifetime: config.authorizationCodeTtl, max: config.authorizationCodeTtlMax ?? config.authorizationCodeTtl };
  }
}

/** The longest any client's token of this kind can live (for key retirement). */
export function lifetimeMaximum(config: Config, kind: LifetimeKind): number {
  return serverLifetime(config, kind).max;
}

export interface EffectiveLifetime {
  seconds: number;
  /** Where it comes from: the client's metadata, the server default, or the server's cap on the client's value. */
  source: 'client' | 'server' | 'capped';
}

export function effectiveLifetime(config: Config, metadata: ClientMetadata, kind: LifetimeKind): EffectiveLifetime {
  const { lifetime, max } = serverLifetime(config, kind);
  const requested = (metadata as unknown as Record<string, unknown>)[LIFETIME_METADATA[kind]];
  if (typeof requested !== 'number') return { seconds: Math.min(lifetime, max), source: 'server' };
  return requested > max ? { seconds: max, source: 'capped' } : { seconds: requested, source: 'client' };
}

/** Seconds a new token of this kind for this client lives. */
export function tokenLifetime(config: Config, metadata: ClientMetadata, kind: LifetimeKind): number {
  return effectiveLifetime(config, metadata, kind).seconds;
}

/** Registration, CLI and seed: each lifetime, when present, is a whole number of seconds from 1 to ten years. */
export function validateLifetimes(input: Record<string, unknown>): void {
  for (const name of Object.values(LIFETIME_METADATA)) {
    const value = input[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > LONGEST) {
      throw new OAuthError('invalid_client_metadata', `${name} must be a whole number of seconds from 1 to ${LONGEST}`, { requirement: 'CASTELLAN-LIFETIME-1' });
    }
  }
}
