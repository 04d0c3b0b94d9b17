/**
 * /account/mfa: turn on TOTP for the signed-in user. The page offers a new secret, which travels in
 * the form's session-bound token (sealed, so the page's HTML is the only place it shows); the POST
 * needs that token from the same session, the password again, and a first code from the app.
 * @spec https://www.rfc-editor.org/rfc/rfc6238
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.12 (CSRF protection of the AS's own forms)
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 7.5.1: re-authentication before an MFA configuration change)
 */
import type { Request, Response } from 'express';
import { formParams } from '../http/params.js';
import { sendPage } from '../http/respond.js';
import { issuerPath } from '../http/session-cookie.js';
import { confirmEnrollment, offerEnrollment } from '../mfa/enrollment.js';
import { TOTP_CODE } from '../mfa/totp.js';
import { loadSession } from '../oidc-core/session.js';
import { requestOrigin } from '../security/audit.js';
import { attemptPassword } from '../security/login-attempt.js';
import { isoTime, type Context } from '../server/context.js';
import type { SessionRecord, UserRecord } from '../storage/stores.js';
import { throttledMessage } from './login-page.js';
import { renderEnrollPage, renderMfaStatusPage, renderRecoveryCodesPage, renderSignInRequiredPage } from './mfa-pages.js';
import { checkFormSession, issueFormToken, openFormToken } from './session-form-token.js';

export const MFA_ACCOUNT_PATH = '/account/mfa';

interface Signed {
  session: SessionRecord;
  user: UserRecord;
}

async function signedIn(ctx: Context, req: Request): Promise<Signed | undefined> {
  const session = await loadSession(ctx, req);
  const user = session ? await ctx.stores.users.findById(session.userId) : undefined;
  return session && user ? { session, user } : undefined;
}

async function showStatus(ctx: Context, res: Response, user: UserRecord, status = 200): Promise<void> {
  const mfa = await ctx.stores.mfa.find(user.id);
  const remainingCodes = await ctx.stores.recoveryCodes.countUnused(user.id);
  const enabledAt = isoTime(mfa?.enabledAt ?? 0);
  sendPage(res, status, renderMfaStatusPage({ username: user.username, enabledAt, remainingCodes }));
}

async function showOffer(ctx: Context, res: Response, signed: Signed, status: number, error: string | null, secret?: string): Promise<void> {
  const offer = await offerEnrollment(ctx, signed.user, secret);
  const csrf = issueFormToken(ctx, 'mfa-enroll', signed.session.sid, { secret: offer.secret });
  sendPage(res, status, renderEnrollPage({
    action: `${issuerPath(ctx.config)}${MFA_ACCOUNT_PATH}`, csrf, username: signed.user.username, qrDataUrl: offer.qrDataUrl, secret: offer.secret, error,
  }));
}

export async function accountPage(ctx: Context, req: Request, res: Response): Promise<void> {
  const signed = await signedIn(ctx, req);
  if (!signed) return sendPage(res, 401, renderSignInRequiredPage());
  if (await ctx.stores.mfa.find(signed.user.id)) return showStatus(ctx, res, signed.user);
  await showOffer(ctx, res, signed, 200, null);
}

const single = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export async function submitEnrollment(ctx: Context, req: Request, res: Response): Promise<void> {
  const signed = await signedIn(ctx, req);
  if (!signed) return sendPage(res, 401, renderSignInRequiredPage());
  const form = formParams(req);
  // 403 unless the token was issued by this server to this session for this form.
  const token = openFormToken<{ secret?: unknown }>(ctx, 'mfa-enroll', form.csrf);
  checkFormSession(token, signed.session.sid);
  if (await ctx.stores.mfa.find(signed.user.id)) return showStatus(ctx, res, signed.user, 409);
  const secret = typeof token.data?.secret === 'string' ? token.data.secret : undefined;
  if (!secret) return showOffer(ctx, res, signed, 400, 'This setup page expired. Scan the new code and try again.');
  const password = single(form.password);
  const otp = single(form.otp)?.replace(/\s/g, '') ?? '';
  if (!password || password.length > 1024 || !TOTP_CODE.test(otp)) {
    return showOffer(ctx, res, signed, 400, 'Enter your password and the 6-digit code from the app.', secret);
  }
  const origin = requestOrigin(ctx, req);
  const checked = await attemptPassword(ctx, { clientId: null, ...origin }, signed.user.username, password);
  if (checked.kind === 'throttled') {
    res.set('Retry-After', String(checked.retryAfter));
    return showOffer(ctx, res, signed, 429, throttledMessage(checked.retryAfter), secret);
  }
  if (checked.kind === 'failed') return showOffer(ctx, res, signed, 401, 'The password is incorrect.', secret);
  const confirmation = await confirmEnrollment(ctx, signed.user, secret, otp, origin.ip);
  if (confirmation.kind === 'already_enrolled') return showStatus(ctx, res, signed.user, 409);
  if (confirmation.kind === 'invalid_code') {
    return showOffer(ctx, res, signed, 400, 'That code does not match. Check that the time on your device is right and enter the current code.', secret);
  }
  // Shown once, in this response only (never cached); the database keeps their hashes.
  sendPage(res, 200, renderRecoveryCodesPage({ codes: confirmation.recoveryCodes }));
}
