/**
 * GET/POST /interaction/:uid/mfa (the MFA step of a login) and GET/POST /account/mfa (enrolment).
 * The MFA step starts the session only once a code passes, with amr pwd+otp and the MFA acr; the
 * account page needs a live session, its CSRF token is bound to that session, and turning MFA on asks
 * for the password again.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#Authenticates
 * @spec https://www.rfc-editor.org/rfc/rfc8176#section-2 (amr: pwd, otp)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.12 (303 after POST)
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 7.2.4: new session at authentication; 7.5.1: re-authentication before an MFA change; 3.5.1: CSRF)
 */
import { Router, type Request, type Response } from 'express';
import { clientNoLongerRegistered } from '../errors/recurring-errors.js';
import { formBody, formParams } from '../http/params.js';
import { handle, noStore, sendErrorPage, sendPage } from '../http/respond.js';
import { mfaAuthentication, startSession } from '../oidc-core/session.js';
import { attemptMfa, pendingMfaUser, type MfaInput } from '../mfa/mfa-step.js';
import { requestOrigin } from '../security/audit.js';
import type { Context } from '../server/context.js';
import { checkCsrf, interactionUrl, loadInteraction, type Interaction } from './interaction.js';
import { continueAfterLogin, recordLogin } from './interaction-routes.js';
import { accountPage, MFA_ACCOUNT_PATH, submitEnrollment } from './mfa-account.js';
import { renderMfaChallengePage } from './mfa-pages.js';
import { throttledMessage } from './login-page.js';

type Page = (ctx: Context, req: Request, res: Response) => Promise<void>;

export function mfaRouter(ctx: Context): Router {
  const router = Router();
  const route = (page: Page) => handle((req, res) => page(ctx, req, res), (res, error) => sendErrorPage(res, error, ctx.logger));
  router.get('/interaction/:uid/mfa', route(showChallenge));
  router.post('/interaction/:uid/mfa', formBody, route(submitChallenge));
  router.get(MFA_ACCOUNT_PATH, route(accountPage));
  router.post(MFA_ACCOUNT_PATH, formBody, route(submitEnrollment));
  return router;
}

export const MFA_FAILED_MESSAGE = 'The code is incorrect or was already used.';

const single = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

async function renderChallenge(ctx: Context, res: Response, interaction: Interaction, status: number, error: string | null): Promise<void> {
  const client = await ctx.stores.clients.find(interaction.request.clientId);
  if (!client) throw clientNoLongerRegistered();
  sendPage(res, status, renderMfaChallengePage({
    action: 'mfa', csrf: interaction.csrf, clientName: client.metadata.client_name ?? client.clientId, error, lang: interaction.request.uiLocale,
  }));
}

/** Without a pending challenge (expired, never opened, already passed) the browser starts at the password again. */
function backToLogin(ctx: Context, res: Response, interaction: Interaction): void {
  noStore(res);
  res.redirect(303, interactionUrl(ctx, interaction.uid, 'login'));
}

async function showChallenge(ctx: Context, req: Request, res: Response): Promise<void> {
  const interaction = await loadInteraction(ctx, req, String(req.params.uid));
  if (!(await pendingMfaUser(ctx, interaction.uidHash))) return backToLogin(ctx, res, interaction);
  await renderChallenge(ctx, res, interaction, 200, null);
}

/** What the form carries: a TOTP code (spaces ignored, as apps show "123 456") or a recovery code. */
function mfaInput(form: Record<string, unknown>): MfaInput | undefined {
  const otp = single(form.otp)?.replace(/\s/g, '');
  const recoveryCode = single(form.recovery_code);
  if (otp && otp.length <= 16) return { otp };
  if (recoveryCode && recoveryCode.length <= 64) return { recoveryCode };
  return undefined;
}

async function submitChallenge(ctx: Context, req: Request, res: Response): Promise<void> {
  const interaction = await loadInteraction(ctx, req, String(req.params.uid));
  checkCsrf(interaction, formParams(req).csrf);
  const user = await pendingMfaUser(ctx, interaction.uidHash);
  if (!user) return backToLogin(ctx, res, interaction);
  const input = mfaInput(formParams(req));
  if (!input) return renderChallenge(ctx, res, interaction, 400, 'Enter the code from your authenticator app or a recovery code.');
  const who = { clientId: interaction.request.clientId, ...requestOrigin(ctx, req) };
  const outcome = await attemptMfa(ctx, who, user, interaction.uidHash, input);
  if (outcome.kind === 'throttled') {
    res.set('Retry-After', String(outcome.retryAfter));
    return renderChallenge(ctx, res, interaction, 429, throttledMessage(outcome.retryAfter));
  }
  if (outcome.kind === 'failed') return renderChallenge(ctx, res, interaction, 401, MFA_FAILED_MESSAGE);
  // The session (new id, new sid) starts only now, with both factors recorded.
  const session = await startSession(ctx, req, res, mfaAuthentication(user.id));
  await recordLogin(ctx, who, session);
  await continueAfterLogin(ctx, req, res, interaction, session);
}
