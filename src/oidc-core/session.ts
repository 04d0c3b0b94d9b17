/**
 * Server-side browser sessions: the cookie holds a random handle, the row (keyed by its SHA-256)
 * holds the user, auth_time, acr/amr, sid and the idle and absolute expiry.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#IDToken (auth_time, acr, amr)
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#LogoutToken (sid)
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (V7: new session id at login, idle and absolute timeouts)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (acr_values)
 * @spec https://www.rfc-editor.org/rfc/rfc8176#section-2 (amr values)
 */
import type { Request, Response } from 'express';
import type { Context } from '../server/context.js';
import type { ConsentRecord, SessionRecord } from '../storage/stores.js';
import { hashHandle, newHandle, newId } from '../tokens/handles.js';
import { clearSessionCookie, readSessionCookie, writeSessionCookie } from '../http/session-cookie.js';
import { contributeMetadata } from '../oidc-discovery/provider-metadata.js';
import type { ClaimsRequest } from './claims-parameter.js';
import { audit } from '../security/audit.js';
import { sessionAcceptable } from '../security/emergency-mode.js';

/** Authentication context classes: a password alone, or a password and a second factor. */
export const ACR_PASSWORD = 'urn:castellan:acr:pwd';
export const ACR_MFA = 'urn:castellan:acr:mfa';

contributeMetadata(() => ({ acr_values_supported: [ACR_PASSWORD, ACR_MFA] }));

/** Handles are 256-bit base64url; anything else in the cookie cannot be ours. */
const HANDLE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Seconds between two writes of a live session's idle expiry: a minute, or a tenth of the idle
 * lifetime when that is shorter. Writing on every request made each authorization pay an UPDATE;
 * sliding in steps ends an idle session at most this much earlier than sliding every second would,
 * never later.
 */
export function touchInterval(sessionIdleTtl: number): number {
  return Math.max(1, Math.min(60, Math.floor(sessionIdleTtl / 10)));
}

export function isSessionActive(session: SessionRecord, now: number): boolean {
  return session.idleExpiresAt > now && session.absoluteExpiresAt > now;
}

/**
 * The request's live session, or undefined (no cookie, unknown, idle or past its absolute lifetime,
 * or its user deleted: such sessions are treated as absent). A live session's idle expiry slides forward.
 */
export async function loadSession(ctx: Context, req: Request): Promise<SessionRecord | undefined> {
  return (await loadSessionWithConsent(ctx, req))?.session;
}

/**
 * loadSession, and with `clientId` the user's remembered consent for that client read in the same
 * statement (the authorization endpoint needs both on every request).
 */
export async function loadSessionWithConsent(ctx: Context, req: Request, clientId?: string): Promise<{ session: SessionRecord; consent?: ConsentRecord } | undefined> {
  const handle = readSessionCookie(req, ctx.config);
  if (!handle || !HANDLE.test(handle)) return undefined;
  const idHash = hashHandle(handle);
  // A session whose user has been deleted is treated as absent, like an expired one.
  const found = await ctx.stores.sessions.findOfExistingUser(idHash, clientId);
  const now = ctx.clock();
  if (!found || !isSessionActive(found.session, now)) return undefined;
  const { session, consent } = found;
  // Emergency mode: a session opened with a password alone signs in again, with its second factor.
  if (!(await sessionAcceptable(ctx, session))) return undefined;
  const idleExpiresAt = Math.min(now + ctx.config.sessionIdleTtl, session.absoluteExpiresAt);
  if (now - session.lastSeenAt >= touchInterval(ctx.config.sessionIdleTtl)) {
    await ctx.stores.sessions.touch(session.idHash, now, idleExpiresAt);
    return { session: { ...session, lastSeenAt: now, idleExpiresAt }, consent };
  }
  return { session, consent };
}

export interface Authentication {
  userId: string;
  /** Methods used, RFC 8176 values (`pwd` for a password). */
  amr: string[];
  acr?: string | null;
}

export const passwordAuthentication = (userId: string): Authentication => ({ userId, amr: ['pwd'], acr: ACR_PASSWORD });
export const mfaAuthentication = (userId: string): Authentication => ({ userId, amr: ['pwd', 'otp'], acr: ACR_MFA });

/** The acr values a request asks for: acr_values, and the claims parameter's id_token acr value(s). */
export function requestedAcr(request: { acrValues?: string[]; claims: ClaimsRequest | null }): string[] {
  const acr = request.claims?.id_token?.acr;
  return [...(request.acrValues ?? []), ...(acr?.values ?? []), ...(acr?.value !== undefined ? [acr.value] : [])].filter((v): v is string => typeof v === 'string');
}

/**
 * True when the request asks for MFA, the session was established with a password alone, and the
 * user has MFA: a new login (with its MFA step) is needed. A user without MFA gets the password
 * class, which the ID token's acr then reports honestly.
 */
export async function needsStepUp(ctx: Context, request: { acrValues?: string[]; claims: ClaimsRequest | null }, session: SessionRecord): Promise<boolean> {
  if (session.acr === ACR_MFA || !requestedAcr(request).includes(ACR_MFA)) return false;
  return (await ctx.stores.mfa.find(session.userId)) !== undefined;
}

/**
 * Starts a session after a successful login. A new handle and a new sid every time, and the
 * previous session row of this browser is removed, so a planted cookie never becomes authenticated.
 */
export async function startSession(ctx: Context, req: Request, res: Response, auth: Authentication): Promise<SessionRecord> {
  const previous = readSessionCookie(req, ctx.config);
  if (previous && HANDLE.test(previous)) await ctx.stores.sessions.remove(hashHandle(previous));
  const now = ctx.clock();
  const handle = newHandle();
  const absoluteExpiresAt = now + ctx.config.sessionAbsoluteTtl;
  const session: SessionRecord = {
    idHash: hashHandle(handle),
    userId: auth.userId,
    sid: newId(),
    authTime: now,
    acr: auth.acr ?? null,
    amr: auth.amr,
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: Math.min(now + ctx.config.sessionIdleTtl, absoluteExpiresAt),
    absoluteExpiresAt,
  };
  await ctx.stores.sessions.insert(session);
  await audit(ctx, req, { type: 'session.started', userId: auth.userId, details: { sid: session.sid } });
  writeSessionCookie(res, ctx.config, handle);
  return session;
}

/** Removes the browser's session row and cookie (logout, or a session that must not continue). */
export async function endSession(ctx: Context, req: Request, res: Response): Promise<SessionRecord | undefined> {
  const handle = readSessionCookie(req, ctx.config);
  clearSessionCookie(res, ctx.config);
  if (!handle || !HANDLE.test(handle)) return undefined;
  const session = await ctx.stores.sessions.find(hashHandle(handle));
  if (session) await ctx.stores.sessions.remove(session.idHash);
  return session;
}
