/**
 * The MFA pages: the challenge after the password (stable selectors name="otp", id="mfa-submit",
 * name="recovery_code", id="recovery-submit"), and the account page that enrols an authenticator app
 * (QR code as a data: image, the key as text, confirmed with a first code) and shows recovery codes once.
 * Plain forms, no script: they work in any browser and under the CSP.
 * @spec https://www.rfc-editor.org/rfc/rfc6238
 * @spec https://github.com/google/google-authenticator/wiki/Key-Uri-Format
 * @spec https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#attr-fe-autocomplete-one-time-code
 */
import { html, page, type SafeHtml } from '../http/html.js';

const errorLine = (error: string | null | undefined, id: string): SafeHtml =>
  error ? html`<p class="error" id="${id}" role="alert">${error}</p>\n` : html``;

export interface ChallengePageModel {
  action: string;
  csrf: string;
  clientName: string;
  error?: string | null;
  lang?: string | null;
}

export function renderMfaChallengePage(model: ChallengePageModel): string {
  const body = html`<h1>Two-step verification</h1>
<p class="muted">Enter the 6-digit code from your authenticator app to continue to <strong id="client-name">${model.clientName}</strong>.</p>
${errorLine(model.error, 'mfa-error')}<form method="post" action="${model.action}" id="mfa-form">
<input type="hidden" name="csrf" value="${model.csrf}">
<label for="otp">Authentication code</label>
<input type="text" id="otp" name="otp" inputmode="numeric" pattern="[0-9 ]{6,7}" maxlength="7" autocomplete="one-time-code" spellcheck="false" required autofocus>
<button type="submit" id="mfa-submit">Verify</button>
</form>
<details id="recovery">
<summary>Use a recovery code instead</summary>
<form method="post" action="${model.action}" id="recovery-form">
<input type="hidden" name="csrf" value="${model.csrf}">
<label for="recovery_code">Recovery code</label>
<input type="text" id="recovery_code" name="recovery_code" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="64" required>
<button type="submit" id="recovery-submit" class="secondary">Use recovery code</button>
</form>
</details>`;
  return page('Two-step verification', body, model.lang ?? 'en');
}

/** The Base32 key in groups of four, easier to type into an app by hand. */
export const groupedSecret = (secret: string): string => secret.match(/.{1,4}/g)?.join(' ') ?? secret;

export interface EnrollPageModel {
  action: string;
  /** The session-bound form token, which also carries the offered secret back sealed. */
  csrf: string;
  username: string;
  qrDataUrl: string;
  secret: string;
  error?: string | null;
}

export function renderEnrollPage(model: EnrollPageModel): string {
  const body = html`<h1>Set up two-step verification</h1>
<p>Scan this code with an authenticator app (for example FreeOTP, Aegis, Google Authenticator or 1Password) to add <strong id="account-name">${model.username}</strong>.</p>
<p class="qr"><img id="mfa-qr" src="${model.qrDataUrl}" alt="QR code to scan with an authenticator app" width="224" height="224"></p>
<p class="muted">Cannot scan? Enter this key in the app (time-based, 6 digits, 30 seconds):</p>
<p><code id="mfa-secret" class="secret">${groupedSecret(model.secret)}</code></p>
${errorLine(model.error, 'enroll-error')}<form method="post" action="${model.action}" id="enroll-form">
<input type="hidden" name="csrf" value="${model.csrf}">
<label for="password">Your password</label>
<input type="password" id="password" name="password" autocomplete="current-password" maxlength="1024" required>
<label for="otp">Code shown by the app</label>
<input type="text" id="otp" name="otp" inputmode="numeric" pattern="[0-9 ]{6,7}" maxlength="7" autocomplete="one-time-code" spellcheck="false" required>
<button type="submit" id="enroll-submit">Turn on two-step verification</button>
</form>`;
  return page('Set up two-step verification', body);
}

export function renderRecoveryCodesPage(model: { codes: string[] }): string {
  const body = html`<h1>Two-step verification is on</h1>
<p>Save these recovery codes somewhere safe. Each one signs you in once if you lose your authenticator app. <strong>They are shown only now.</strong></p>
<ol class="recovery-codes" id="recovery-codes">
${model.codes.map((code) => html`<li><code>${code}</code></li>\n`)}</ol>`;
  return page('Recovery codes', body);
}

export function renderMfaStatusPage(model: { username: string; enabledAt: string; remainingCodes: number }): string {
  const body = html`<h1>Two-step verification</h1>
<p id="mfa-status">Two-step verification is on for <strong>${model.username}</strong> since ${model.enabledAt}.</p>
<p class="muted">Recovery codes left: <span id="recovery-remaining">${model.remainingCodes}</span>. To replace your authenticator app or your recovery codes, ask an administrator to reset two-step verification.</p>`;
  return page('Two-step verification', body);
}

export function renderSignInRequiredPage(): string {
  const body = html`<h1>Sign in first</h1>
<p id="sign-in-required">Sign in to an application that uses this server, then open this page again in the same browser.</p>`;
  return page('Sign in first', body);
}
