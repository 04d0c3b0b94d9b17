/**
 * TOTP enrolment: a new secret is offered (QR code and text) and travels sealed in the page's form
 * token, so nothing is stored until the user proves with a first code that the app holds it; then the
 * secret is stored sealed with the master key, ten recovery codes are issued, and the event is audited
 * in one transaction.
 * @spec https://www.rfc-editor.org/rfc/rfc6238#section-5.1 (the shared secret must be protected at rest)
 * @spec https://github.com/google/google-authenticator/wiki/Key-Uri-Format
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 6.5.3: seeds from a CSPRNG)
 */
import QRCode from 'qrcode';
import { mfaIssuerName } from '../config/login-settings.js';
import type { Context } from '../server/context.js';
import type { Tx, UserRecord } from '../storage/stores.js';
import { issueRecoveryCodes } from './recovery-codes.js';
import { matchTotp, newTotpSecret, otpauthUri } from './totp.js';

export interface Offer {
  secret: string;
  uri: string;
  /** PNG as a data: URL (the CSP allows img-src data:; no script needed). */
  qrDataUrl: string;
}

export async function mfaEnabled(ctx: Context, userId: string, tx?: Tx): Promise<boolean> {
  return (await ctx.stores.mfa.find(userId, tx)) !== undefined;
}

/**
 * A secret to offer (a fresh one, or the one being confirmed when the form is shown again after a
 * mistake) with its QR code; nothing is stored until it is confirmed.
 */
export async function offerEnrollment(ctx: Context, user: UserRecord, secret = newTotpSecret()): Promise<Offer> {
  const uri = otpauthUri(mfaIssuerName(ctx.config), user.username, secret);
  const qrDataUrl = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 224 });
  return { secret, uri, qrDataUrl };
}

export type Confirmation = { kind: 'enrolled'; recoveryCodes: string[] } | { kind: 'invalid_code' } | { kind: 'already_enrolled' };

/** Stores the enrolment when `code` proves the app holds `secret`; its step counts as used. */
export async function confirmEnrollment(ctx: Context, user: UserRecord, secret: string, code: string, ip: string | null): Promise<Confirmation> {
  const now = ctx.clock();
  const step = await matchTotp(secret, code, now);
  if (step === undefined) return { kind: 'invalid_code' };
  return ctx.stores.transaction(async (tx): Promise<Confirmation> => {
    const inserted = await ctx.stores.mfa.insert({ userId: user.id, secretEncrypted: ctx.sealer.seal(secret), enabledAt: now, lastUsedStep: step }, tx);
    if (!inserted) return { kind: 'already_enrolled' };
    const recoveryCodes = await issueRecoveryCodes(ctx, user.id, tx);
    await ctx.stores.audit.record({ type: 'mfa.enrolled', userId: user.id, ip, details: { method: 'totp' } }, now, tx);
    return { kind: 'enrolled', recoveryCodes };
  });
}

/** Removes the enrolment and its recovery codes (`castellan users mfa reset`); false when there was none. */
export async function resetMfa(ctx: Context, userId: string, tx: Tx): Promise<boolean> {
  const removed = await ctx.stores.mfa.remove(userId, tx);
  await ctx.stores.recoveryCodes.removeAll(userId, tx);
  if (removed) await ctx.stores.audit.record({ type: 'mfa.reset', userId }, ctx.clock(), tx);
  return removed;
}
