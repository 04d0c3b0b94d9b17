/**
 * GET/POST /interaction/:uid/login and /interaction/:uid/consent: the pages between /authorize and
 * the redirect back to the client. Each POST checks the CSRF token and ends in a 303 redirect (or
 * the form_post page); an interaction completes exactly once. The password check is throttled
 * (security/login-attempt.ts); users enrolled in MFA continue at /interaction/:uid/mfa (mfa-routes.ts),
 * and the session starts only when every factor has passed. What follows a page is not decided here:
 * oidc-core/authorization-decision.ts decides, and the authorization endpoint's phases resume.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#Authenticates
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#Consent
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (access_denied)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.12 (303 after POST)
 */
import { Router, type Request, type Response } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { clientNoLongerRegistered } from '../errors/recurring-errors.js';
import { formBody, formParams } from '../http/params.js';
import { handle, noStore, sendErrorPage, sendPage } from '../http/respond.js';
import { requestedClaimNames } from '../oidc-core/claims-parameter.js';
import { scopeList } from '../oidc-core/claims.js';
import { nextStep } from '../oidc-core/authorization-decision.js';
import { loadSession, passwordAuthentication, startSession } from '../oidc-core/session.js';
import { targetOf } from '../rfc6749-oauth2/authorization-request.js';
import { sendAuthorizationError } from '../rfc6749-oauth2/authorization-response.js';
import { resumeAuthorization } from '../server/authorization-endpoint.js';
import type { Context } from '../server/context.js';
import type { SessionRecord } from '../storage/stores.js';
import { openMfaChallenge } from '../mfa/mfa-step.js';
import { attemptPassword } from '../security/login-attempt.js';
import { audit, requestOrigin } from '../security/audit.js';
import { loginFailureMessage, passwordOnlyLoginRefused } from '../security/emergency-mode.js';
import { renderConsentPage } from './consent-page.js';
import { checkCsrf, clearInteractionCookie, interactionUrl, loadInteraction, type Interaction } from './interaction.js';
import { LOGIN_FAILED_MESSAGE, renderLoginPage, throttledMessage } from './login-page.js';

type Page = (ctx: Context, req: Request, res: Response) => Promise<void>;

export function interactionRouter(ctx: Context): Router {
  const router = Router();
  const route = (page: Page) => handle((req, res) => page(ctx, req, res), (res, error) => sendErrorPage(res, error, ctx.logger));
  router.get('/interaction/:uid/login', route(showLogin));
  router.post('/interaction/:uid/login', formBody, route(submitLogin));
  router.get('/interaction/:uid/consent', route(showConsent));
  router.post('/interaction/:uid/consent', formBody, route(submitConsent));
  return router;
}

const single = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const uidOf = (req: Request): string => String(req.params.uid);

async function clientName(ctx: Context, interaction: Interaction): Promise<string> {
  const client = await ctx.stores.clients.find(interaction.request.clientId);
  if (!client) throw clientNoLongerRegistered();
  return client.metadata.client_name ?? client.clientId;
}

async function renderLogin(ctx: Context, res: Response, interaction: Interaction, status: number, username: string | null, error: string | null) {
  const name = await clientName(ctx, interaction);
  const { request, csrf } = interaction;
  sendPage(res, status, renderLoginPage({ action: 'login', csrf, clientName: name, username, error, lang: request.uiLocale }));
}

async function showLogin(ctx: Context, req: Request, res: Response): Promise<void> {
  const interaction = await loadInteraction(ctx, req, uidOf(req));
  await renderLogin(ctx, res, interaction, 200, interaction.request.loginHint, null);
}

async function submitLogin(ctx: Context, req: Request, res: Response): Promise<void> {
  const interaction = await loadInteraction(ctx, req, uidOf(req));
  const form = formParams(req);
  checkCsrf(interaction, form.csrf);
  const username = single(form.username);
  const password = single(form.password);
  if (!username || !password || username.length > 255 || password.length > 1024) {
    return renderLogin(ctx, res, interaction, 400, username?.slice(0, 255) ?? null, 'Enter your username and password.');
  }
  const who = { clientId: interaction.request.clientId, ...requestOrigin(ctx, req) };
  const outcome = await attemptPassword(ctx, who, username, password);
  if (outcome.kind === 'throttled') {
    res.set('Retry-After', String(outcome.retryAfter));
    return renderLogin(ctx, res, interaction, 429, username, throttledMessage(outcome.retryAfter));
  }
  // One message whether the user exists or not.
  if (outcome.kind === 'failed') return renderLogin(ctx, res, interaction, 401, username, await loginFailureMessage(ctx, LOGIN_FAILED_MESSAGE));
  const user = outcome.value;
  if ((await nextStep(ctx, { request: interaction.request, passwordPassedBy: user.id })).step === 'mfa') {
    // No session yet: the MFA step starts it.
    await openMfaChallenge(ctx, interaction.uidHash, user.id, interaction.record.expiresAt);
    noStore(res);
    return res.redirect(303, interactionUrl(ctx, interaction.uid, 'mfa'));
  }
  // Emergency mode: a password alone signs nobody in, answered exactly like a wrong password so it confirms nothing.
  if (await passwordOnlyLoginRefused(ctx)) {
    await audit(ctx, req, { type: 'login.refused_emergency', clientId: who.clientId, userId: user.id });
    return renderLogin(ctx, res, interaction, 401, username, await loginFailureMessage(ctx, LOGIN_FAILED_MESSAGE));
  }
  const session = await startSession(ctx, req, res, passwordAuthentication(user.id));
  await recordLogin(ctx, who, session);
  await continueAfterLogin(ctx, req, res, interaction, session);
}

/** Audits a completed login (password, and MFA when enrolled). */
export async function recordLogin(ctx: Context, who: { clientId: string | null; ip: string; userAgent?: string | null }, session: SessionRecord): Promise<void> {
  await ctx.stores.audit.record({ type: 'login.succeeded', clientId: who.clientId, userId: session.userId, ip: who.ip, userAgent: who.userAgent ?? null, details: { amr: session.amr, acr: session.acr, sid: session.sid } }, ctx.clock());
}

/** After a login: remember who signed in for this interaction, then resume the authorization (consent or the code). */
export async function continueAfterLogin(ctx: Context, req: Request, res: Response, interaction: Interaction, session: SessionRecord): Promise<void> {
  await ctx.stores.interactions.setUser(interaction.uidHash, session.userId);
  // RFC 8628 §3.3: a sign-in started at the device verification page goes on to its own consent step,
  // which always asks (rfc8628-device-authorization/device-consent-routes.ts), never to /authorize.
  if (interaction.device) {
    noStore(res);
    return res.redirect(303, interactionUrl(ctx, interaction.uid, 'device'));
  }
  await resumeAuthorization(ctx, req, res, interaction, { session, loggedIn: true });
}

/** The /authorize consent step never serves a device interaction: that one has no redirect_uri to answer. */
function authorizationOnly(interaction: Interaction): void {
  if (interaction.device) throw new OAuthError('invalid_request', 'This sign-in request belongs to a device; continue on the device approval page.', { requirement: 'RFC6749-10.12-2' });
}

/** The session that may approve: live and belonging to the user who logged in for this interaction. */
export async function approvingSession(ctx: Context, req: Request, interaction: Interaction): Promise<SessionRecord | undefined> {
  if (!interaction.record.userId) return undefined;
  const session = await loadSession(ctx, req);
  return session && session.userId === interaction.record.userId ? session : undefined;
}

function backToLogin(ctx: Context, res: Response, interaction: Interaction): void {
  noStore(res);
  res.redirect(303, interactionUrl(ctx, interaction.uid, 'login'));
}

async function showConsent(ctx: Context, req: Request, res: Response): Promise<void> {
  const interaction = await loadInteraction(ctx, req, uidOf(req));
  authorizationOnly(interaction);
  const session = await approvingSession(ctx, req, interaction);
  if (!session) return backToLogin(ctx, res, interaction);
  const user = await ctx.stores.users.findById(session.userId);
  if (!user) return backToLogin(ctx, res, interaction);
  const { request, csrf } = interaction;
  sendPage(res, 200, renderConsentPage({
    action: 'consent',
    csrf,
    clientName: await clientName(ctx, interaction),
    username: user.username,
    scopes: scopeList(request.scope),
    claims: [...new Set([...requestedClaimNames(request.claims, 'userinfo'), ...requestedClaimNames(request.claims, 'id_token')])],
    lang: request.uiLocale,
  }));
}

async function submitConsent(ctx: Context, req: Request, res: Response): Promise<void> {
  const interaction = await loadInteraction(ctx, req, uidOf(req));
  authorizationOnly(interaction);
  const form = formParams(req);
  checkCsrf(interaction, form.csrf);
  const session = await approvingSession(ctx, req, interaction);
  if (!session) return backToLogin(ctx, res, interaction);
  const decision = single(form.decision);
  // The interaction's user is this session's (approvingSession), so the login step is settled.
  if (decision === 'approve') return resumeAuthorization(ctx, req, res, interaction, { session, loggedIn: true, approved: true });
  if (decision !== 'deny') throw new OAuthError('invalid_request', 'Choose Allow or Deny.', { requirement: 'CASTELLAN-FORMS-1' });
  if (!(await ctx.stores.interactions.take(interaction.uidHash))) throw new OAuthError('invalid_request', 'This sign-in request was already completed', { requirement: 'RFC6749-10.12-2' });
  await audit(ctx, req, { type: 'authorization.denied', clientId: interaction.request.clientId, userId: session.userId });
  clearInteractionCookie(ctx, res, interaction.uid);
  await sendAuthorizationError(res, ctx, targetOf(interaction.request), new OAuthError('access_denied', 'the user denied the request', { requirement: 'RFC6749-4.1.2.1-3' }));
}
