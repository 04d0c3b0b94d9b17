/**
 * The end_session_endpoint, in its phases. GET or POST /logout: validate (errors on a page, never a
 * redirect), then ask the End-User on a confirmation page when there is a session to end. POST
 * /logout/confirm: check the form token, end the session (grants, back-channel notices), then 303
 * to the validated post_logout_redirect_uri with state, or to the signed-out page.
 * @spec https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 * @spec https://openid.net/specs/openid-connect-rpinitiated-1_0.html#OPMetadata (end_session_endpoint)
 * @spec https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RedirectionAfterLogout
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.12 (303 after POST)
 */
import { Router, type Request, type Response } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { formBody, formParams, queryParams, requestParams } from '../http/params.js';
import { handle, noStore, sendErrorPage, sendPage } from '../http/respond.js';
import { clearSessionCookie, issuerPath } from '../http/session-cookie.js';
import { kickDeliveries } from '../oidc-back-channel-logout/delivery-worker.js';
import { loadSession } from '../oidc-core/session.js';
import { contributeMetadata, PATHS } from '../oidc-discovery/provider-metadata.js';
import { pageLocale } from '../rfc6749-oauth2/authorization-request.js';
import { redirectLocation } from '../rfc6749-oauth2/authorization-response.js';
import { requestOrigin } from '../security/audit.js';
import type { Context } from '../server/context.js';
import { renderLogoutConfirmPage, renderSignedOutPage, renderStillSignedInPage } from '../ui/logout-pages.js';
import { checkFormSession, issueFormToken, openFormToken } from '../ui/session-form-token.js';
import { validateLogoutRequest } from './end-session-request.js';
import { logoutSession } from './session-logout.js';

contributeMetadata((config) => ({ end_session_endpoint: config.issuer + PATHS.endSession }));

export const CONFIRM_PATH = `${PATHS.endSession}/confirm`;
export const DONE_PATH = `${PATHS.endSession}/done`;

/** What the confirmation form carries (sealed) from the validated request to the confirmation. */
interface PendingLogout {
  clientId: string | null;
  postLogoutRedirectUri: string | null;
  state: string | null;
  uiLocale: string | null;
}

type Page = (ctx: Context, req: Request, res: Response) => Promise<void>;

export function endSessionRouter(ctx: Context): Router {
  const router = Router();
  const route = (page: Page) => handle((req, res) => page(ctx, req, res), (res, error) => sendErrorPage(res, error, ctx.logger));
  router.get(PATHS.endSession, route(requestLogout));
  router.post(PATHS.endSession, formBody, route(requestLogout));
  router.post(CONFIRM_PATH, formBody, route(confirmLogout));
  router.get(DONE_PATH, route(showResult));
  return router;
}

/** Phase 1: the RP's request. Validation failures throw before anything is changed or shown. */
async function requestLogout(ctx: Context, req: Request, res: Response): Promise<void> {
  const request = await validateLogoutRequest(ctx, requestParams(req));
  const pending: PendingLogout = {
    clientId: request.client?.clientId ?? null,
    postLogoutRedirectUri: request.postLogoutRedirectUri,
    state: request.state,
    uiLocale: request.uiLocale,
  };
  const session = await loadSession(ctx, req);
  // No session: nothing to end; a validated post_logout_redirect_uri is still honoured.
  if (!session) return finish(ctx, res, pending);
  // §2: the OP MUST ask without a hint or with one for another session or user; Castellan always asks,
  // so a cross-site request cannot end a session by itself.
  const user = await ctx.stores.users.findById(session.userId);
  sendPage(res, 200, renderLogoutConfirmPage({
    action: issuerPath(ctx.config) + CONFIRM_PATH,
    csrf: issueFormToken(ctx, 'logout', session.sid, pending),
    username: user?.username ?? session.userId,
    clientName: request.client ? (request.client.metadata.client_name ?? request.client.clientId) : null,
    lang: request.uiLocale,
  }));
}

/** Phase 2: the End-User's answer on the confirmation page. */
async function confirmLogout(ctx: Context, req: Request, res: Response): Promise<void> {
  const form = formParams(req);
  const token = openFormToken<PendingLogout>(ctx, 'logout', form.csrf);
  const session = await loadSession(ctx, req);
  // A session that ended meanwhile (another tab) needs no check; any live one must be the form's own.
  if (session) checkFormSession(token, session.sid);
  const decision = typeof form.decision === 'string' ? form.decision : undefined;
  const pending = token.data;
  if (decision === 'stay') return redirectToResult(ctx, res, 'stayed', pending.uiLocale);
  if (decision !== 'logout') throw new OAuthError('invalid_request', 'Choose Sign out or Stay signed in.', { requirement: 'CASTELLAN-FORMS-1' });
  // §2: when the End-User says yes, the OP MUST log them out.
  if (session) {
    const outcome = await logoutSession(ctx, session, { clientId: pending.clientId, reason: 'rp_initiated_logout', origin: requestOrigin(ctx, req) });
    if (outcome.deliveries.length > 0) void kickDeliveries(ctx);
  }
  clearSessionCookie(res, ctx.config);
  await finish(ctx, res, pending);
}

/** §3: redirect only to the validated URI, adding state when the RP sent one; else our own page. */
async function finish(ctx: Context, res: Response, pending: PendingLogout): Promise<void> {
  noStore(res);
  if (pending.postLogoutRedirectUri !== null) {
    const params: [string, string][] = pending.state !== null ? [['state', pending.state]] : [];
    return res.redirect(303, params.length > 0 ? redirectLocation(pending.postLogoutRedirectUri, params) : pending.postLogoutRedirectUri);
  }
  redirectToResult(ctx, res, 'signed-out', pending.uiLocale);
}

function redirectToResult(ctx: Context, res: Response, outcome: 'signed-out' | 'stayed', uiLocale: string | null): void {
  const query = new URLSearchParams(outcome === 'stayed' ? { outcome } : {});
  if (uiLocale) query.set('ui_locales', uiLocale);
  const search = query.size > 0 ? `?${query}` : '';
  noStore(res);
  res.redirect(303, `${issuerPath(ctx.config)}${DONE_PATH}${search}`);
}

async function showResult(_ctx: Context, req: Request, res: Response): Promise<void> {
  const query = queryParams(req);
  const lang = pageLocale(typeof query.ui_locales === 'string' ? query.ui_locales : undefined);
  sendPage(res, 200, query.outcome === 'stayed' ? renderStillSignedInPage(lang) : renderSignedOutPage(lang));
}
