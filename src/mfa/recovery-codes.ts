/**
 * Recovery codes: ten single-use codes shown once at enrolment. Each carries 120 random bits, so
 * SHA-256 is enough to store them (a slow hash buys nothing at that entropy).
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V6.5: lookup secrets, single use, 112+ bits when stored with a plain hash)
 * @spec https://www.crockford.com/base32.html (the alphabet: no I, L, O, U)
 */
import { randomBytes } from 'node:crypto';
import type { Context } from '../server/context.js';
import type { Tx } from '../storage/stores.js';
import { hashHandle } from '../tokens/handles.js';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** 24 symbols of 5 bits: 120 bits. */
const SYMBOLS = 24;

/** One code in groups of four, as it is shown: `xxxx-xxxx-xxxx-xxxx-xxxx-xxxx`. */
function newCode(): string {
  const bytes = randomBytes(SYMBOLS);
  // 256 is a multiple of 32, so taking each byte modulo 32 keeps every symbol equally likely.
  const symbols = [...bytes].map((byte) => ALPHABET[byte % 32]).join('');
  return symbols.match(/.{4}/g)!.join('-');
}

/**
 * The canonical form of what a person typed: case, spaces and dashes ignored, and the letters
 * Crockford's alphabet reads as digits (I, L as 1; O as 0). Undefined when it cannot be a code.
 */
export function normalizeRecoveryCode(input: string): string | undefined {
  const text = input.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  return new RegExp(`^[${ALPHABET}]{${SYMBOLS}}$`).test(text) ? text : undefined;
}

const hashCode = (normalized: string) => hashHandle(`recovery:${normalized}`);

/** Replaces the user's codes with ten new ones and returns them for showing once. */
export async function issueRecoveryCodes(ctx: Context, userId: string, tx?: Tx): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  await ctx.stores.recoveryCodes.replace(userId, codes.map((code) => hashCode(normalizeRecoveryCode(code)!)), ctx.clock(), tx);
  return codes;
}

/** Uses one code: true once per code, false for anything else. */
export async function useRecoveryCode(ctx: Context, userId: string, input: string, tx?: Tx): Promise<boolean> {
  const normalized = normalizeRecoveryCode(input);
  if (!normalized) return false;
  return ctx.stores.recoveryCodes.consume(userId, hashCode(normalized), ctx.clock(), tx);
}
