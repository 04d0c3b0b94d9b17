/**
 * Settings of the login hardening: throttling budgets, the password policy's minimum length and the
 * issuer name authenticator apps show. Parsers return undefined for a bad value so loadConfig reports
 * it in its usual one-line form.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V6.2 passwords, V6.3 brute force)
 */
import { MAX_LIMIT_SECONDS } from './security-settings.js';
import { parseDuration } from './duration.js';

export interface LoginConfig {
  /** Failed attempts for one username from one address before delays start (they then double). */
  loginMaxAttemptsPerUserIp: number;
  /** Failed attempts for one username from all addresses before every address is slowed (never locked). */
  loginMaxAttemptsPerUser: number;
  /** Failed attempts from one address across usernames before that address is slowed. */
  loginMaxAttemptsPerIp: number;
  /** Seconds over which failed attempts are counted. */
  loginThrottleWindow: number;
  /** The longest delay imposed on one username and address, or on one address. */
  loginMaxDelay: number;
  /** Minimum password length in characters (code points); 8 is the ASVS floor. */
  passwordMinLength: number;
  /** The issuer name authenticator apps display next to the account. */
  mfaIssuerName?: string;
}

export const PASSWORD_MIN_LENGTH_FLOOR = 8;
export const PASSWORD_MAX_LENGTH = 1024;

export const asAttemptBudget = (raw: unknown): number | undefined => {
  const text = typeof raw === 'number' ? String(raw) : raw;
  return typeof text === 'string' && /^[1-9]\d{0,5}$/.test(text.trim()) ? Number(text.trim()) : undefined;
};

export const asThrottleDuration = (raw: unknown): number | undefined => {
  if (typeof raw !== 'string') return undefined;
  const seconds = parseDuration(raw);
  return seconds !== undefined && seconds <= MAX_LIMIT_SECONDS ? seconds : undefined;
};

export const asPasswordMinLength = (raw: unknown): number | undefined => {
  const length = Number(raw);
  return Number.isInteger(length) && length >= PASSWORD_MIN_LENGTH_FLOOR && length <= 128 ? length : undefined;
};

export const asIssuerName = (raw: unknown): string | undefined =>
  // The name goes into an otpauth:// label, where ':' separates issuer from account.
  (typeof raw === 'string' && raw.trim().length > 0 && raw.length <= 64 && !raw.includes(':') ? raw.trim() : undefined);

/** The name shown in authenticator apps: MFA_ISSUER_NAME, else the issuer's host name (no port: ':' is the label's separator). */
export function mfaIssuerName(config: LoginConfig & { issuer: string }): string {
  return config.mfaIssuerName ?? new URL(config.issuer).hostname;
}
