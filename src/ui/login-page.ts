/**
 * The login page: a plain server-rendered form that works without JavaScript, with the stable
 * selectors browser automation relies on (name="username", name="password", id="login-submit").
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#Authenticates
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (login_hint, ui_locales)
 */
import { html, page } from '../http/html.js';

export interface LoginPageModel {
  /** Where the form posts (relative to the page). */
  action: string;
  csrf: string;
  clientName: string;
  /** Prefilled from login_hint, or the name the user just typed. */
  username?: string | null;
  /** A generic message; never says whether the user exists. */
  error?: string | null;
  lang?: string | null;
}

export const LOGIN_FAILED_MESSAGE = 'The username or password is incorrect.';

/** The same words for every username, known or not: throttling must not reveal which exist. */
export const throttledMessage = (seconds: number): string =>
  `Too many sign-in attempts. Wait ${seconds} second${seconds === 1 ? '' : 's'} and try again.`;

export function renderLoginPage(model: LoginPageModel): string {
  const error = model.error ? html`<p class="error" id="login-error" role="alert">${model.error}</p>\n` : '';
  const body = html`<h1>Sign in</h1>
<p class="muted">to continue to <strong id="client-name">${model.clientName}</strong></p>
${error}<form method="post" action="${model.action}" id="login-form">
<input type="hidden" name="csrf" value="${model.csrf}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${model.username ?? ''}" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="255" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" maxlength="1024" required>
<button type="submit" id="login-submit">Sign in</button>
</form>`;
  return page('Sign in', body, model.lang ?? 'en');
}
