/**
 * When the user must (re)authenticate or consent: prompt, max_age, id_token_hint and remembered
 * consent decide between answering at once, showing a page, or failing a prompt=none request.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (prompt, max_age, id_token_hint)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthError (login_required, consent_required)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess
 */
import { compactVerify, decodeProtectedHeader } from 'jose';
import { OAuthError } from '../errors/oauth-error.js';
import type { Context } from '../server/context.js';
import type { ConsentRecord, SessionRecord } from '../storage/stores.js';
import { scopeList } from './claims.js';
import { SUPPORTED_ALGS } from '../tokens/keystore.js';

const KNOWN_PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

/** The prompt values; `none` with any other value is invalid_request, unknown values are ignored. */
export function parsePrompt(value: string | undefined): string[] {
  const values = [...new Set(scopeList(value ?? ''))].filter((v) => KNOWN_PROMPTS.has(v));
  // OIDC Core §3.1.2.1: none combined with any other value is an error.
  if (values.includes('none') && values.length > 1) throw new OAuthError('invalid_request', 'prompt none must not be combined with other values', { requirement: 'OIDC-3.1.2.1-4' });
  return values;
}

export function parseMaxAge(value: string | undefined): number | null {
  if (value === undefined) return null;
  const seconds = Number(value);
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new OAuthError('invalid_request', 'max_age must be a non-negative integer', { requirement: 'OIDC-3.1.2.1-7' });
  return seconds;
}

interface LoginInputs {
  prompt: string[];
  maxAge: number | null;
  hintedSubject: string | null;
}

/** True when the session cannot be used as it is and the user must log in (again). */
export function loginRequired(request: LoginInputs, session: SessionRecord | undefined, now: number): boolean {
  if (!session) return true;
  if (request.prompt.includes('login')) return true;
  // max_age=0 means "authenticate now" (OIDC Core errata: equivalent to prompt=login).
  if (request.maxAge !== null && (request.maxAge === 0 || now - session.authTime > request.maxAge)) return true;
  // id_token_hint names the user the client expects; another signed-in user must not be reused.
  if (request.hintedSubject !== null && request.hintedSubject !== session.userId) return true;
  return false;
}

/** True when remembered consent covers every requested scope value. */
export function consentCovers(consent: ConsentRecord | undefined, scope: string): boolean {
  if (!consent) return false;
  const granted = new Set(scopeList(consent.scope));
  return scopeList(scope).every((value) => granted.has(value));
}

/**
 * OIDC Core §11: offline_access is honoured only when consent was obtained for it. A silent
 * request (prompt=none) whose remembered consent lacks it proceeds without it.
 */
export function withoutUnconsentedOfflineAccess(scope: string, consent: ConsentRecord | undefined): string {
  if (!scopeList(scope).includes('offline_access') || consentCovers(consent, 'offline_access')) return scope;
  return scopeList(scope).filter((value) => value !== 'offline_access').join(' ');
}

/** The claims of a verified id_token_hint that logout and prompt handling rely on. */
export interface IdTokenHintClaims {
  sub: string;
  aud: string[];
  azp?: string;
  sid?: string;
}

/**
 * Verifies an id_token_hint: an ID token this server signed with a published key (next, active or
 * retired), issuer checked, expiry ignored, as the hint is usually an old token. Anything else is
 * invalid_request.
 */
export async function verifyIdTokenHint(ctx: Context, hint: string): Promise<IdTokenHintClaims> {
  const invalid = () => new OAuthError('invalid_request', 'id_token_hint is not an ID token issued by this server', { requirement: 'OIDC-3.1.2.1-8' });
  try {
    const { kid, typ } = decodeProtectedHeader(hint);
    // The same keys sign JWT access tokens (at+jwt) and logout tokens (logout+jwt); ID tokens are plain JWT.
    const key = kid && (typ === undefined || typ === 'JWT') ? await ctx.keystore.publicKey(kid) : undefined;
    if (!key) throw invalid();
    const { payload } = await compactVerify(hint, key, { algorithms: [...SUPPORTED_ALGS] });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as { iss?: unknown; sub?: unknown; aud?: unknown; azp?: unknown; sid?: unknown };
    const aud = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
    if (claims.iss !== ctx.config.issuer || typeof claims.sub !== 'string') throw invalid();
    if (!Array.isArray(aud) || aud.length === 0 || !aud.every((value) => typeof value === 'string')) throw invalid();
    return {
      sub: claims.sub,
      aud: aud as string[],
      ...(typeof claims.azp === 'string' ? { azp: claims.azp } : {}),
      ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
    };
  } catch {
    throw invalid();
  }
}

/** The subject of an id_token_hint (see verifyIdTokenHint), or null without one. */
export async function idTokenHintSubject(ctx: Context, hint: string | undefined): Promise<string | null> {
  if (hint === undefined) return null;
  return (await verifyIdTokenHint(ctx, hint)).sub;
}
