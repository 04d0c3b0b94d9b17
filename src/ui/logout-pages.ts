/**
 * The logout pages: the confirmation form (id="logout-confirm" / id="logout-cancel", name="decision")
 * and the fixed-text results, server-rendered and usable without JavaScript.
 * @spec https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout (the OP asks the End-User whether to log out)
 */
import { html, page } from '../http/html.js';

/** Fixed texts that browser automation and tests look for. */
export const SIGNED_OUT_TEXT = 'You have been signed out.';
export const STILL_SIGNED_IN_TEXT = 'You are still signed in.';

export interface LogoutConfirmModel {
  action: string;
  csrf: string;
  username: string;
  /** The client that asked, when the request named one. */
  clientName: string | null;
  lang?: string | null;
}

export function renderLogoutConfirmPage(model: LogoutConfirmModel): string {
  const asker = model.clientName
    ? html`<p><strong id="client-name">${model.clientName}</strong> asks to sign you out.</p>\n`
    : '';
  const body = html`<h1>Sign out?</h1>
${asker}<p>Do you want to sign out of your account <span id="username">${model.username}</span> on this sign-in service?</p>
<form method="post" action="${model.action}" id="logout-form">
<input type="hidden" name="csrf" value="${model.csrf}">
<button type="submit" id="logout-confirm" name="decision" value="logout">Sign out</button>
<button type="submit" id="logout-cancel" name="decision" value="stay" class="secondary">Stay signed in</button>
</form>`;
  return page('Sign out', body, model.lang ?? 'en');
}

export function renderSignedOutPage(lang?: string | null): string {
  const body = html`<h1>Signed out</h1>
<p id="signed-out">${SIGNED_OUT_TEXT}</p>
<p class="muted">You can close this window.</p>`;
  return page('Signed out', body, lang ?? 'en');
}

export function renderStillSignedInPage(lang?: string | null): string {
  const body = html`<h1>Not signed out</h1>
<p id="still-signed-in">${STILL_SIGNED_IN_TEXT}</p>
<p class="muted">You can close this window.</p>`;
  return page('Not signed out', body, lang ?? 'en');
}
