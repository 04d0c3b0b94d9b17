/**
 * TOTP (RFC 6238) with otplib: SHA-1, 6 digits, 30-second steps, as every authenticator app expects;
 * codes from one step before or after now are accepted for clock drift, and a step once accepted
 * (or any earlier one) is never accepted again for that user.
 * @spec https://www.rfc-editor.org/rfc/rfc6238#section-4 (T = floor((now - T0) / X), X = 30)
 * @spec https://www.rfc-editor.org/rfc/rfc6238#section-5.2 (one step of drift; a code is accepted once)
 * @spec https://www.rfc-editor.org/rfc/rfc4226#section-4 (R6: shared secret of at least 128 bits; 160 recommended)
 * @spec https://github.com/google/google-authenticator/wiki/Key-Uri-Format
 */
import { generate, generateSecret, generateURI, verify } from 'otplib';
import type { Context } from '../server/context.js';
import type { MfaRecord, Tx } from '../storage/stores.js';

export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
/** RFC 4226's recommended 160-bit secret. */
const SECRET_BYTES = 20;

/** A new secret in Base32, the form authenticator apps take. */
export function newTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/** The otpauth:// URI a QR code carries: issuer and account name label the entry in the app. */
export function otpauthUri(issuer: string, account: string, secret: string): string {
  return generateURI({ issuer, label: account, secret, algorithm: 'sha1', digits: TOTP_DIGITS, period: TOTP_PERIOD });
}

/** The code for time `at` (seconds); tests and the enrolment self-check use it. */
export function totpCode(secret: string, at: number): Promise<string> {
  return generate({ secret, epoch: at, period: TOTP_PERIOD, digits: TOTP_DIGITS });
}

export const TOTP_CODE = /^[0-9]{6}$/;

/** The time step `code` belongs to within one step of `now`, later than `after`; undefined otherwise. */
export async function matchTotp(secret: string, code: string, now: number, after?: number | null): Promise<number | undefined> {
  if (!TOTP_CODE.test(code)) return undefined;
  const result = await verify({
    secret, token: code, epoch: now, period: TOTP_PERIOD, digits: TOTP_DIGITS,
    // RFC 6238 §5.2: at most one step of network delay or drift, either way.
    epochTolerance: TOTP_PERIOD,
    afterTimeStep: after ?? undefined,
  });
  // The functional API's result type covers HOTP too; a TOTP match always carries its time step.
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

/**
 * Checks a code against the user's enrolment and records its step in the same statement that
 * rules out a replay, so two requests racing with one code cannot both pass.
 */
export async function verifyTotp(ctx: Context, record: MfaRecord, code: string, tx?: Tx): Promise<boolean> {
  const step = await matchTotp(ctx.sealer.open(record.secretEncrypted), code, ctx.clock(), record.lastUsedStep);
  if (step === undefined) return false;
  return ctx.stores.mfa.advanceStep(record.userId, step, tx);
}
