/**
 * The password policy every place that sets a password applies (CLI, seed, registration and account
 * pages, through user-service): a minimum length in characters, a generous maximum, no composition
 * rules, and refusal of the most common passwords and of the username itself.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V6.2: 6.2.1 length, 6.2.4 common passwords, 6.2.5 no composition rules, 6.2.9 64+ allowed)
 * @spec https://pages.nist.gov/800-63-4/sp800-63b.html#passwordver (blocklist of commonly used passwords)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH_FLOOR } from '../config/login-settings.js';
import list from './common-passwords.json' with { type: 'json' };

/** Lower-cased, built once: about 13,000 entries of at least 8 characters (source in the JSON header). */
const COMMON = new Set<string>(list.passwords);

export interface PasswordContext {
  minLength: number;
  /** Refused as a password, compared without case. */
  username?: string;
}

/** Length as a person counts it: code points, so an emoji or an accented letter is one character. */
export const passwordLength = (password: string): number => [...password].length;

export function isCommonPassword(password: string): boolean {
  return COMMON.has(password.toLowerCase());
}

/** Why a password is refused, and the requirement of spec/ that refuses it. */
interface PasswordRefusal {
  message: string;
  requirement: 'ASVS-6.2.1' | 'ASVS-6.2.4' | 'ASVS-6.2.9';
}

/** The policy's checks in order; the first refusal wins. */
function refusalOf(password: unknown, context: PasswordContext): PasswordRefusal | undefined {
  const minimum = Math.max(context.minLength, PASSWORD_MIN_LENGTH_FLOOR);
  if (typeof password !== 'string' || passwordLength(password) < minimum) return { message: `password must be at least ${minimum} characters`, requirement: 'ASVS-6.2.1' };
  if (password.length > PASSWORD_MAX_LENGTH) return { message: `password must be at most ${PASSWORD_MAX_LENGTH} characters`, requirement: 'ASVS-6.2.9' };
  // ASVS 6.2.4: checked against the top passwords that the length rule alone would let through.
  if (isCommonPassword(password)) return { message: 'password is too common: choose one that is not on lists of frequently used passwords', requirement: 'ASVS-6.2.4' };
  if (context.username && password.toLowerCase() === context.username.toLowerCase()) return { message: 'password must not be the username', requirement: 'ASVS-6.2.1' };
  return undefined;
}

/** The first reason the password is refused, or undefined when the policy accepts it. */
export function passwordProblem(password: unknown, context: PasswordContext): string | undefined {
  return refusalOf(password, context)?.message;
}

/** Throws invalid_request with the policy's message, naming the check's requirement, when the password is refused. */
export function enforcePasswordPolicy(password: unknown, context: PasswordContext): asserts password is string {
  const refusal = refusalOf(password, context);
  if (refusal) throw new OAuthError('invalid_request', refusal.message, { requirement: refusal.requirement });
}
