/**
 * GET/POST /device (the verification URI) and GET /device/done. The user types the code their
 * device shows (or confirms the one verification_uri_complete filled in); a live, pending code opens
 * an interaction carrying the device request, which continues at the existing login and MFA pages
 * when the browser has no session, then at the device consent step. The form is CSRF-protected by
 * a sealed token bound to a SameSite cookie of this browser; entries are rate limited per address
 * and globally; a wrong or expired code is audited with the address and at most a two-character prefix.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.3 (user interaction)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.3.1 (a code from the URI still needs the user's confirmation)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-5.1 (brute force: rate limits)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.12 (CSRF)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.12 (303 after POST)
 */
import { Router, type Request, type Response } from 'express';
import { formRejected } from '../errors/recurring-errors.js';
import { formBody, formParams } from '../http/params.js';
import { handle, noStore, sendErrorPage } from '../http/respond.js';
import { isHttpsIssuer, issuerPath, readCookies, setCookie } from '../http/session-cookie.js';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import { loadSession } from '../oidc-core/session.js';
import type { AuthorizationRequest } from '../rfc6749-oauth2/authorization-request.js';
import { audit } from '../security/audit.js';
import type { Context } from '../server/context.js';
import type { DeviceAuthorizationRecord } from '../storage/stores.js';
import { hashHandle, newHandle, safeEqual } from '../tokens/handles.js';
import { createInteraction, interactionUrl } from '../ui/interaction.js';
import { FORM_TOKEN_TTL, issueFormToken, openFormToken } from '../ui/session-form-token.js';
import { codeEntryRefusal } from './code-entry-limits.js';
import { formatUserCode, hashUserCode, normaliseUserCode, userCodePrefix } from './user-code.js';
import { codeEntryThrottledMessage, renderCodeEntryPage, renderDeviceDonePage, UNKNOWN_CODE_MESSAGE } from './verification-pages.js';

type Page = (ctx: Context, req: Request, res: Response) => Promise<void> | void;

const DONE_PATH = `${PATHS.deviceVerification}/done`;
const HANDLE = /^[A-Za-z0-9_-]{43}$/;
const single = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function codeEntryRouter(ctx: Context): Router {
  const router = Router();
  const route = (page: Page) => handle((req, res) => page(ctx, req, res), (res, error) => sendErrorPage(res, error, ctx.logger));
  router.get(PATHS.deviceVerification, route(showEntry));
  router.post(PATHS.deviceVerification, formBody, route(submitEntry));
  router.get(DONE_PATH, route(showDone));
  return router;
}

const browserCookieName = (ctx: Context) => (isHttpsIssuer(ctx.config) ? '__Secure-castellan-device' : 'castellan_device');

/** This browser's form binding: the cookie it already has, or a new one. */
function browserNonce(ctx: Context, req: Request, res: Response): string {
  const existing = readCookies(req).get(browserCookieName(ctx));
  if (existing && HANDLE.test(existing)) return existing;
  const nonce = newHandle();
  setCookie(res, browserCookieName(ctx), nonce, {
    path: `${issuerPath(ctx.config)}${PATHS.deviceVerification}`, maxAge: FORM_TOKEN_TTL, secure: isHttpsIssuer(ctx.config), httpOnly: true, sameSite: 'Lax',
  });
  return nonce;
}

/** The token is sealed by this server and names the cookie: another site can neither forge it nor send the cookie cross-site. */
function checkForm(ctx: Context, req: Request, presented: unknown): void {
  const { data } = openFormToken<{ b: string }>(ctx, 'device-verification', presented);
  const cookie = readCookies(req).get(browserCookieName(ctx)) ?? '';
  if (!HANDLE.test(cookie) || typeof data?.b !== 'string' || !safeEqual(hashHandle(cookie), data.b)) {
    throw formRejected('ASVS-3.5-1');
  }
}

function renderEntry(ctx: Context, req: Request, res: Response, status: number, userCode: string | null, error: string | null): void {
  const formToken = issueFormToken(ctx, 'device-verification', null, { b: hashHandle(browserNonce(ctx, req, res)) });
  noStore(res);
  res.status(status).type('text/html').send(renderCodeEntryPage({ formToken, userCode: userCode?.slice(0, 64) ?? null, error }));
}

function showEntry(ctx: Context, req: Request, res: Response): void {
  // §3.3.1: the code from verification_uri_complete only fills the field; the user still presses Continue.
  renderEntry(ctx, req, res, 200, single(req.query.user_code) ?? null, null);
}

/** A request the user may still decide: pending and unexpired. */
async function pendingRequest(ctx: Context, normalised: string | undefined): Promise<DeviceAuthorizationRecord | undefined> {
  if (normalised === undefined) return undefined;
  const device = await ctx.stores.deviceAuthorizations.findByUserCode(hashUserCode(normalised));
  return device && device.status === 'pending' && device.expiresAt > ctx.clock() ? device : undefined;
}

/** The interaction's request: the client and scope to show; nothing here is ever redirected to. */
function deviceInteractionRequest(device: DeviceAuthorizationRecord): AuthorizationRequest {
  return {
    clientId: device.clientId, redirectUri: '', responseMode: 'query', state: null, scope: device.scope, nonce: null,
    codeChallenge: null, codeChallengeMethod: null, prompt: [], maxAge: null, loginHint: null, hintedSubject: null,
    uiLocale: null, claims: null, resource: null, acrValues: [],
  };
}

async function submitEntry(ctx: Context, req: Request, res: Response): Promise<void> {
  const form = formParams(req);
  checkForm(ctx, req, form.csrf);
  const typed = single(form.user_code) ?? '';
  const retryAfter = await codeEntryRefusal(ctx, req);
  if (retryAfter !== undefined) {
    res.set('Retry-After', String(retryAfter));
    return renderEntry(ctx, req, res, 429, typed, codeEntryThrottledMessage(retryAfter));
  }
  const normalised = normaliseUserCode(typed);
  const device = await pendingRequest(ctx, normalised);
  if (!device || normalised === undefined) {
    // Never the code itself: a guesser's attempts are visible by address without the log becoming a list of codes.
    await audit(ctx, req, { type: 'device.user_code_rejected', details: { user_code_prefix: userCodePrefix(typed), well_formed: normalised !== undefined } });
    return renderEntry(ctx, req, res, 400, typed, UNKNOWN_CODE_MESSAGE);
  }
  const session = await loadSession(ctx, req);
  const uid = await createInteraction(ctx, res, deviceInteractionRequest(device), session?.userId ?? null, { deviceCodeHash: device.deviceCodeHash, userCode: formatUserCode(normalised) });
  noStore(res);
  // A signed-in browser goes straight to the consent step; otherwise through the same login (and MFA) pages as /authorize.
  res.redirect(303, interactionUrl(ctx, uid, session ? 'device' : 'login'));
}

function showDone(_ctx: Context, req: Request, res: Response): void {
  noStore(res);
  res.status(200).type('text/html').send(renderDeviceDonePage(req.query.outcome === 'approved'));
}

export const deviceDonePath = (ctx: Context, approved: boolean): string => `${issuerPath(ctx.config)}${DONE_PATH}?outcome=${approved ? 'approved' : 'denied'}`;
