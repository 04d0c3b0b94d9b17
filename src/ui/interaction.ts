/**
 * Interactions: the login and consent steps of one authorization request, kept server-side under a
 * random uid (stored hashed) and bound to the browser that started them by a short-lived cookie.
 * The cookie also carries the CSRF token the pages echo in their forms; the row holds its hash.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.12 (CSRF protection of the AS's own forms)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#Authenticates
 */
import type { Request, Response } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { formRejected } from '../errors/recurring-errors.js';
import type { Context } from '../server/context.js';
import type { InteractionRecord } from '../storage/stores.js';
import { hashHandle, newHandle, safeEqual } from '../tokens/handles.js';
import { isHttpsIssuer, issuerPath, readCookies, setCookie } from '../http/session-cookie.js';
import type { AuthorizationRequest } from '../rfc6749-oauth2/authorization-request.js';

export type InteractionStep = 'login' | 'mfa' | 'consent' | 'device';

export interface Interaction {
  uid: string;
  uidHash: string;
  record: InteractionRecord;
  request: AuthorizationRequest;
  csrf: string;
  /** RFC 8628: set when the interaction verifies a device's user code instead of continuing an /authorize request. */
  device?: DeviceVerification;
}

/** The device authorization an interaction decides: after login it goes to the device consent step. */
export interface DeviceVerification {
  deviceCodeHash: string;
  /** In display form, shown on the consent page so the user can compare it with the device's screen. */
  userCode: string;
}

/** A uid is a 256-bit handle in base64url. */
export const UID = /^[A-Za-z0-9_-]{43}$/;

export function interactionCookieName(ctx: Context): string {
  return isHttpsIssuer(ctx.config) ? '__Secure-castellan-interaction' : 'castellan_interaction';
}

/**
 * The cookie's path is the interaction's own, so concurrent flows in several tabs each keep their
 * cookie and a cookie is never sent anywhere but to its interaction's pages.
 */
function cookiePath(ctx: Context, uid: string): string {
  return `${issuerPath(ctx.config)}/interaction/${uid}`;
}

/** Root-relative path of a step's page, including the issuer's path prefix. */
export function interactionUrl(ctx: Context, uid: string, step: InteractionStep): string {
  return `${cookiePath(ctx, uid)}/${step}`;
}

export async function createInteraction(
  ctx: Context,
  res: Response,
  request: AuthorizationRequest,
  userId: string | null,
  device?: DeviceVerification,
): Promise<string> {
  const uid = newHandle();
  const csrf = newHandle();
  const now = ctx.clock();
  await ctx.stores.interactions.insert({
    uidHash: hashHandle(uid),
    request: (device ? { ...request, device } : request) as unknown as Record<string, unknown>,
    userId,
    csrfTokenHash: hashHandle(csrf),
    createdAt: now,
    expiresAt: now + ctx.config.interactionTtl,
  });
  setCookie(res, interactionCookieName(ctx), `${uid}.${csrf}`, {
    path: cookiePath(ctx, uid),
    maxAge: ctx.config.interactionTtl,
    secure: isHttpsIssuer(ctx.config),
    httpOnly: true,
    sameSite: 'Lax',
  });
  return uid;
}

const expired = () => new OAuthError('invalid_request', 'This sign-in request has expired or was already completed. Return to the application and start again.', { requirement: 'RFC6749-10.12-2' });

/**
 * The live interaction named in the path, only for the browser holding its cookie. Unknown,
 * expired, completed or foreign interactions are answered with an error page.
 */
export async function loadInteraction(ctx: Context, req: Request, uid: string): Promise<Interaction> {
  if (!UID.test(uid)) throw expired();
  const cookie = readCookies(req).get(interactionCookieName(ctx)) ?? '';
  const [cookieUid = '', csrf = ''] = cookie.split('.');
  if (!safeEqual(cookieUid, uid) || !UID.test(csrf)) {
    throw new OAuthError('invalid_request', 'This sign-in request was started in another browser. Return to the application and start again.', { requirement: 'RFC6749-10.12-2' });
  }
  const uidHash = hashHandle(uid);
  const record = await ctx.stores.interactions.find(uidHash);
  if (!record || record.expiresAt <= ctx.clock()) throw expired();
  const device = record.request.device as DeviceVerification | undefined;
  return { uid, uidHash, record, request: record.request as unknown as AuthorizationRequest, csrf, ...(device ? { device } : {}) };
}

/** Constant-time check of the form's csrf field against the interaction's stored hash. */
export function checkCsrf(interaction: Interaction, presented: unknown): void {
  if (typeof presented !== 'string' || !safeEqual(hashHandle(presented), interaction.record.csrfTokenHash)) {
    throw formRejected('RFC6749-10.12-1');
  }
}

export function clearInteractionCookie(ctx: Context, res: Response, uid: string): void {
  setCookie(res, interactionCookieName(ctx), '', { path: cookiePath(ctx, uid), maxAge: 0, secure: isHttpsIssuer(ctx.config) });
}
