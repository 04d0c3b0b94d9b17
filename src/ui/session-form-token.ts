/**
 * CSRF tokens for forms that belong to a browser session rather than to an interaction (logout
 * confirmation, the account pages): the token is sealed with the master key (AES-256-GCM) and names
 * its purpose, the session's sid and an expiry, and may carry the form's validated state. Only this
 * server can make one, and it is accepted only from the session it was issued to, so another site
 * cannot forge the POST.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.12 (CSRF protection of the AS's own forms)
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html (encrypted token pattern)
 */
import { formRejected } from '../errors/recurring-errors.js';
import type { Context } from '../server/context.js';
import { safeEqual } from '../tokens/handles.js';

export type FormPurpose = 'logout' | 'consents' | 'mfa-enroll' | 'device-verification' | 'token-debugger';

/** Seconds a rendered form stays usable. */
export const FORM_TOKEN_TTL = 15 * 60;

interface Sealed<T> {
  p: FormPurpose;
  sid: string | null;
  exp: number;
  d: T;
}

/** `sid` null issues a token for a browser without a session (nothing to take over). */
export function issueFormToken<T>(ctx: Context, purpose: FormPurpose, sid: string | null, data: T): string {
  const sealed: Sealed<T> = { p: purpose, sid, exp: ctx.clock() + FORM_TOKEN_TTL, d: data };
  return ctx.sealer.seal(JSON.stringify(sealed));
}

export interface OpenedFormToken<T> {
  /** The session the form was rendered for. */
  sid: string | null;
  data: T;
}

const rejected = () => formRejected('ASVS-3.5-1');

/** Opens a token of `purpose`; expired, foreign or tampered tokens are rejected with 403. */
export function openFormToken<T>(ctx: Context, purpose: FormPurpose, presented: unknown): OpenedFormToken<T> {
  if (typeof presented !== 'string' || presented.length > 16_384) throw rejected();
  let sealed: Sealed<T>;
  try {
    sealed = JSON.parse(ctx.sealer.open(presented)) as Sealed<T>;
  } catch {
    throw rejected();
  }
  if (sealed.p !== purpose || typeof sealed.exp !== 'number' || sealed.exp <= ctx.clock()) throw rejected();
  return { sid: sealed.sid ?? null, data: sealed.d };
}

/** The token must have been issued to the session now presenting it. */
export function checkFormSession(token: OpenedFormToken<unknown>, sid: string): void {
  if (token.sid === null || !safeEqual(token.sid, sid)) throw rejected();
}
