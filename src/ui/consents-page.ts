/**
 * The account page listing the clients a signed-in user has consented to, each with a revoke button
 * (a form per client: hidden client_id and csrf, button class="revoke"), usable without JavaScript.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#Consent
 */
import { html, page } from '../http/html.js';
import { SCOPE_DESCRIPTIONS } from './consent-page.js';

export const NO_CONSENTS_TEXT = 'You have not allowed any application to use your account.';
export const NOT_SIGNED_IN_TEXT = 'You are not signed in.';

export interface ConsentEntry {
  clientId: string;
  clientName: string;
  scopes: string[];
  grantedAt: number;
}

export interface ConsentsPageModel {
  action: string;
  csrf: string;
  username: string;
  consents: ConsentEntry[];
}

const day = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().slice(0, 10);

export function renderConsentsPage(model: ConsentsPageModel): string {
  const items = model.consents.map((consent) => html`<li class="consent" data-client-id="${consent.clientId}">
<strong>${consent.clientName}</strong> <span class="muted">since ${day(consent.grantedAt)}</span>
<ul class="scopes">${consent.scopes.map((scope) => html`<li data-scope="${scope}">${SCOPE_DESCRIPTIONS[scope] ?? scope}</li>`)}</ul>
<form method="post" action="${model.action}">
<input type="hidden" name="csrf" value="${model.csrf}">
<input type="hidden" name="client_id" value="${consent.clientId}">
<button type="submit" class="revoke secondary">Revoke access</button>
</form>
</li>\n`);
  const list = model.consents.length > 0
    ? html`<ul id="consents">\n${items}</ul>`
    : html`<p id="no-consents">${NO_CONSENTS_TEXT}</p>`;
  const body = html`<h1>Applications with access</h1>
<p class="muted">Signed in as <span id="username">${model.username}</span>.</p>
${list}`;
  return page('Applications with access', body);
}

export function renderNotSignedInPage(): string {
  const body = html`<h1>Applications with access</h1>
<p id="not-signed-in">${NOT_SIGNED_IN_TEXT}</p>
<p class="muted">Sign in to an application that uses this service, then come back to this page.</p>`;
  return page('Not signed in', body);
}
