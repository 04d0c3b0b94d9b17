/**
 * Errors that several routes raise for one reason, written once so that their wording, status and
 * requirement stay in step wherever they are raised.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1 (the client must be registered)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.12 (CSRF protection of the server's own forms)
 * @spec https://github.com/OWASP/ASVS/blob/v5.0.0/5.0/en/0x12-V3-Web-Frontend-Security.md (V3.5.1 anti-forgery tokens)
 */
import { OAuthError } from './oauth-error.js';

/** A client removed while one of its requests was in progress (sign-in, consent, device approval). */
export const clientNoLongerRegistered = (): OAuthError =>
  new OAuthError('invalid_client', 'invalid client: the client is no longer registered', { requirement: 'RFC6749-4.1.1-2' });

/**
 * A page form posted without a valid anti-forgery token: expired, forged, or from another page.
 * `requirement` names the token that was refused: an interaction's own (RFC6749-10.12-1) or a
 * sealed form token (ASVS-3.5-1).
 */
export const formRejected = (requirement: 'RFC6749-10.12-1' | 'ASVS-3.5-1'): OAuthError =>
  new OAuthError('invalid_request', 'The form has expired or did not come from this site. Go back and try again.', { requirement, status: 403 });
