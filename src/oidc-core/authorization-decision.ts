/**
 * The one answer to "what happens next?" for an authorization request: log in, pass the second
 * factor, consent, or issue the code now. The authorization endpoint and the login, MFA and consent
 * routes all ask here, so a session with remembered consent, a fresh login and an approval cannot
 * disagree about when a code is issued or with which scope.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#Authenticates (§3.1.2.3)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#Consent (§3.1.2.4)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (prompt, max_age, id_token_hint, acr_values)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthError (login_required, consent_required)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess
 */
import { OAuthError } from '../errors/oauth-error.js';
import { mfaEnabled } from '../mfa/enrollment.js';
import type { AuthorizationRequest } from '../rfc6749-oauth2/authorization-request.js';
import type { Context } from '../server/context.js';
import type { ConsentRecord, SessionRecord } from '../storage/stores.js';
import { consentCovers, loginRequired, withoutUnconsentedOfflineAccess } from './prompt.js';
import { needsStepUp } from './session.js';

export type NextStep =
  | { step: 'login' }
  | { step: 'mfa' }
  /** Every factor has passed but no session exists yet: start one, then ask again. */
  | { step: 'session' }
  | { step: 'consent' }
  | { step: 'issue'; scope: string };

/** What is known about one authorization request so far. */
export interface AuthorizationProgress {
  request: AuthorizationRequest;
  /** The browser's live session, if any. */
  session?: SessionRecord;
  /**
   * True when this request's interaction already settled the login step (the user logged in here, or
   * /authorize accepted the session before handing over to consent): prompt=login and max_age are met.
   */
  loggedIn?: boolean;
  /** A user who passed the password step of this interaction; no session exists yet. */
  passwordPassedBy?: string;
  /** The user's remembered consent for this client, as already read. */
  consent?: ConsentRecord;
  /** True when the user approved this request on the consent page. */
  approved?: boolean;
}

async function mustLogIn(ctx: Context, progress: AuthorizationProgress): Promise<boolean> {
  const { request, session } = progress;
  if (!session) return true;
  if (progress.loggedIn) return false;
  // A session with a password alone does not satisfy a request for MFA from a user who has it.
  return loginRequired(request, session, ctx.clock()) || (await needsStepUp(ctx, request, session));
}

/** Decides the next step; a prompt=none request that would need a page fails here instead. */
export async function nextStep(ctx: Context, progress: AuthorizationProgress): Promise<NextStep> {
  const { request, consent } = progress;
  // OIDC Core §3.1.2.1: prompt=none MUST NOT show any page; it fails instead.
  const silent = request.prompt.includes('none');

  if (progress.passwordPassedBy !== undefined) {
    // Users enrolled in MFA prove the second factor before any session starts.
    return (await mfaEnabled(ctx, progress.passwordPassedBy)) ? { step: 'mfa' } : { step: 'session' };
  }
  if (await mustLogIn(ctx, progress)) {
    if (silent) throw new OAuthError('login_required', 'the user is not signed in', { requirement: 'OIDC-3.1.2.1-3' });
    return { step: 'login' };
  }
  if (progress.approved) return { step: 'issue', scope: request.scope };
  if (silent) {
    // OIDC Core §11: offline_access needs consent; a silent request proceeds without it instead.
    const scope = withoutUnconsentedOfflineAccess(request.scope, consent);
    if (!consentCovers(consent, scope)) throw new OAuthError('consent_required', 'the user has not approved this request', { requirement: 'OIDC-3.1.2.1-3' });
    return { step: 'issue', scope };
  }
  if (request.prompt.includes('consent') || !consentCovers(consent, request.scope)) return { step: 'consent' };
  return { step: 'issue', scope: request.scope };
}
