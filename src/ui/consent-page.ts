/**
 * The consent page: which client asks for what, with approve and deny buttons of one form
 * (id="approve" / id="deny", name="decision"), server-rendered and usable without JavaScript.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#Consent
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess
 */
import { html, page } from '../http/html.js';

/** Plain-language descriptions of the scopes Castellan knows; others are shown by name. */
export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Sign you in with your account identifier',
  profile: 'Your profile: name, username, picture and similar details',
  email: 'Your email address',
  address: 'Your postal address',
  phone: 'Your phone number',
  offline_access: 'Keep access while you are not using it (until you revoke it)',
};

export interface ConsentPageModel {
  action: string;
  csrf: string;
  clientName: string;
  username: string;
  scopes: string[];
  /** Individual claims requested with the claims parameter. */
  claims: string[];
  lang?: string | null;
}

export function renderConsentPage(model: ConsentPageModel): string {
  const scopes = model.scopes.map(
    (scope) => html`<li data-scope="${scope}">${SCOPE_DESCRIPTIONS[scope] ?? scope} <span class="muted">(${scope})</span></li>\n`,
  );
  const claims = model.claims.length
    ? html`<p>It also asks for these details:</p>\n<ul class="scopes" id="claims">\n${model.claims.map((claim) => html`<li>${claim}</li>\n`)}</ul>\n`
    : '';
  const body = html`<h1>Allow access?</h1>
<p><strong id="client-name">${model.clientName}</strong> asks to:</p>
<ul class="scopes" id="scopes">
${scopes}</ul>
${claims}<p class="muted">Signed in as <span id="username">${model.username}</span>.</p>
<form method="post" action="${model.action}" id="consent-form">
<input type="hidden" name="csrf" value="${model.csrf}">
<button type="submit" id="approve" name="decision" value="approve">Allow</button>
<button type="submit" id="deny" name="decision" value="deny" class="secondary">Deny</button>
</form>`;
  return page('Allow access', body, model.lang ?? 'en');
}
