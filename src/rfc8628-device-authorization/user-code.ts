/**
 * The user_code: what a person reads off a device's screen and types on another one. Twenty
 * consonants without look-alikes (no vowels, so no words; no 0/O, 1/I/L confusion with digits), eight
 * of them shown as XXXX-XXXX, typed in any case with or without the dash or spaces.
 *
 * Entropy: 20^8 = 2.56e10 codes, about 34.5 bits. A guesser is held to RATE_LIMIT_DEVICE_VERIFICATION_GLOBAL
 * entries per minute over all addresses (default 300); with N codes live at once and a lifetime of
 * DEVICE_CODE_TTL (default 10 minutes) the chance that any guess hits a live code within one lifetime
 * is about 300 * 10 * N / 2.56e10, i.e. 1.2e-4 with a thousand live codes, and each code lives once.
 * That is the RFC 8628 §5.1 trade: short enough to type, long enough under the rate limit.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-6.1 (user code recommendations: base-20 example)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-5.1 (user code brute forcing)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.3 (case-insensitive, punctuation ignored)
 */
import { randomInt } from 'node:crypto';
import { hashHandle } from '../tokens/handles.js';

export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

const NORMALISED = new RegExp(`^[${USER_CODE_ALPHABET}]{${USER_CODE_LENGTH}}$`);

/** One index into the alphabet, uniformly: crypto.randomInt rejects out-of-range draws instead of taking a modulo. */
export type DrawIndex = (size: number) => number;
const cryptoDraw: DrawIndex = (size) => randomInt(size);

/** A fresh code in display form, XXXX-XXXX. */
export function newUserCode(draw: DrawIndex = cryptoDraw): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i += 1) code += USER_CODE_ALPHABET[draw(USER_CODE_ALPHABET.length)];
  return formatUserCode(code);
}

/** XXXX-XXXX from the normalised form. */
export function formatUserCode(normalised: string): string {
  return `${normalised.slice(0, 4)}-${normalised.slice(4)}`;
}

/**
 * What the user typed, in the one form codes are compared in: upper case, without dashes and
 * whitespace; undefined when it cannot be a code of ours (so it is never looked up).
 */
export function normaliseUserCode(typed: string): string | undefined {
  if (typed.length > 64) return undefined;
  const normalised = typed.replace(/[\s-]/g, '').toUpperCase();
  return NORMALISED.test(normalised) ? normalised : undefined;
}

/**
 * The stored form. A hash of a 34.5-bit value does not hide it from whoever can read the table; it
 * keeps the column uniform with every other handle and the code out of logs and backups in clear.
 * The device_code, the secret that yields tokens, is 256 bits and stays protected by its hash.
 */
export function hashUserCode(normalised: string): string {
  return hashHandle(`user_code:${normalised}`);
}

/** What the audit log may say about a typed code: its first two characters, never the whole. */
export function userCodePrefix(typed: string): string {
  return typed.replace(/[\s-]/g, '').toUpperCase().slice(0, 2);
}
