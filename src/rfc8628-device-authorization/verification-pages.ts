/**
 * The device verification pages: code entry, the device consent page with its remote-phishing
 * warning, and the page that sends the user back to the device. Server-rendered, no script, the
 * shared stylesheet, stable selectors for automation (name="user_code", id="device-submit",
 * id="approve" / id="deny", id="device-warning", id="device-done").
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.3 (the user enters the code, authenticates, approves or denies)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.3.1 (a code from verification_uri_complete is still confirmed)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-5.4 (remote phishing: say what is being approved and warn)
 */
import { html, page } from '../http/html.js';
import { SCOPE_DESCRIPTIONS } from '../ui/consent-page.js';

export interface CodeEntryModel {
  /** The sealed form token (CSRF). */
  formToken: string;
  /** Pre-filled from ?user_code= or what the user typed; never submitted without the user pressing the button. */
  userCode: string | null;
  error: string | null;
  lang?: string | null;
}

export const UNKNOWN_CODE_MESSAGE = 'That code is not valid or has expired. Check the code shown on your device and try again.';

export const codeEntryThrottledMessage = (seconds: number): string =>
  `Too many codes entered. Wait ${seconds} second${seconds === 1 ? '' : 's'} and try again.`;

export function renderCodeEntryPage(model: CodeEntryModel): string {
  const error = model.error ? html`<p class="error" id="device-error" role="alert">${model.error}</p>\n` : '';
  const body = html`<h1>Connect a device</h1>
<p>Enter the code shown on your device.</p>
${error}<form method="post" action="device" id="device-form">
<input type="hidden" name="csrf" value="${model.formToken}">
<label for="user_code">Code</label>
<input type="text" class="user-code" id="user_code" name="user_code" value="${model.userCode ?? ''}" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" maxlength="64" placeholder="XXXX-XXXX" required autofocus>
<button type="submit" id="device-submit">Continue</button>
</form>`;
  return page('Connect a device', body, model.lang ?? 'en');
}

export interface DeviceConsentModel {
  action: string;
  csrf: string;
  clientName: string;
  username: string;
  scopes: string[];
  userCode: string;
  lang?: string | null;
}

export function renderDeviceConsentPage(model: DeviceConsentModel): string {
  const scopes = model.scopes.map(
    (scope) => html`<li data-scope="${scope}">${SCOPE_DESCRIPTIONS[scope] ?? scope} <span class="muted">(${scope})</span></li>\n`,
  );
  const body = html`<h1>Allow a device?</h1>
<p class="warning" id="device-warning" role="alert"><strong>Only continue if you started this on a device you are holding</strong> and it shows the code <code class="user-code" id="user-code">${model.userCode}</code>. If someone sent you this code or link, or you did not start this yourself, choose Deny: approving gives them access to your account.</p>
<p><strong id="client-name">${model.clientName}</strong> on that device asks to:</p>
<ul class="scopes" id="scopes">
${scopes}</ul>
<p class="muted">Signed in as <span id="username">${model.username}</span>.</p>
<form method="post" action="${model.action}" id="consent-form">
<input type="hidden" name="csrf" value="${model.csrf}">
<button type="submit" id="approve" name="decision" value="approve">Allow</button>
<button type="submit" id="deny" name="decision" value="deny" class="secondary">Deny</button>
</form>`;
  return page('Allow a device', body, model.lang ?? 'en');
}

export function renderDeviceDonePage(approved: boolean, lang?: string | null): string {
  const body = approved
    ? html`<h1>Device connected</h1>
<p id="device-done" data-outcome="approved">You can return to your device: it will continue on its own in a few seconds.</p>
<p class="muted">You may close this page.</p>`
    : html`<h1>Request denied</h1>
<p id="device-done" data-outcome="denied">The device was not given access. You can return to your device.</p>
<p class="muted">If you did not start this, nothing more is needed: the code can no longer be used.</p>`;
  return page(approved ? 'Device connected' : 'Request denied', body, lang ?? 'en');
}
