/**
 * The token debugger's page (a form that POSTs the token, never a GET that would put it in a URL
 * or a log) and the report card page.
 */
import { html, type SafeHtml } from '../http/html.js';
import { clientPath, INSPECTOR_BASE, inspectorPage } from './inspector-layout.js';
import { isoTime } from '../server/context.js';
import type { ReportCard } from './report-card.js';
import type { TokenVerdict } from './token-debugger.js';

const SIGNATURE_TEXT: Record<TokenVerdict['signature'], string> = {
  valid: 'verifies against the key its kid names in this server\'s JWKS',
  invalid: 'does NOT verify',
  'unknown-key': 'names a key that is not in this server\'s JWKS',
  none: 'not applicable (an opaque handle has no signature)',
};

function verdictBlock(verdict: TokenVerdict): SafeHtml {
  const grant = verdict.grant;
  const grantRows = grant
    ? html`<h2>Grant</h2><dl class="params" id="grant">
<dt>grant id</dt><dd>${grant.id}</dd><dt>client</dt><dd><a href="${clientPath(grant.clientId)}">${grant.clientId}</a></dd>
<dt>user</dt><dd>${grant.userId ?? '(none: the client itself)'}</dd><dt>scopes</dt><dd>${grant.scope}</dd>
<dt>created</dt><dd>${isoTime(grant.createdAt)}</dd><dt>expires</dt><dd>${isoTime(grant.expiresAt)}</dd>
<dt>revoked</dt><dd>${grant.revokedAt === null ? 'no' : `${isoTime(grant.revokedAt)}${grant.revokedReason ? ` (${grant.revokedReason})` : ''}`}</dd>
</dl>`
    : html``;
  return html`<section id="verdict" data-state="${verdict.state}">
<p class="verdict ${verdict.state === 'active' ? 'active' : 'inactive'}" id="state">${verdict.state}</p>
<ul id="reasons">${verdict.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>
<dl class="params"><dt>format</dt><dd id="format">${verdict.format}</dd><dt>kind</dt><dd id="kind">${verdict.kind}</dd><dt>signature</dt><dd id="signature" data-signature="${verdict.signature}">${SIGNATURE_TEXT[verdict.signature]}</dd></dl>
${verdict.jwt ? html`<h2>Header and claims</h2><pre class="claims" id="decoded">${JSON.stringify(verdict.jwt.header, null, 2)}\n${JSON.stringify(verdict.jwt.claims, null, 2)}</pre>` : ''}
${grantRows}
${verdict.introspection ? html`<h2>Introspection (as its client would get it)</h2><pre class="claims" id="introspection">${JSON.stringify(verdict.introspection, null, 2)}</pre>` : ''}
</section>`;
}

export function renderTokenDebuggerPage(formToken: string, verdict?: TokenVerdict): string {
  const body = html`<h1>Token debugger</h1>
<p class="muted">Paste a token this server issued (access, refresh or ID token). It is sent by POST, checked, and not stored or logged.</p>
<form method="post" action="${INSPECTOR_BASE}/token" id="token-form">
<input type="hidden" name="csrf" value="${formToken}">
<label for="token">Token</label>
<textarea class="token" name="token" id="token" required autocomplete="off" spellcheck="false"></textarea>
<button type="submit" id="inspect">Inspect</button>
</form>
${verdict ? verdictBlock(verdict) : ''}`;
  return inspectorPage('Token debugger', body);
}

export function renderReportCardPage(clientId: string, card: ReportCard): string {
  const flags = card.flags.map((flag) => html`<li class="flag" data-flag="${flag.id}"><span class="flag-warn">${flag.title}</span> (${flag.traceIds.length}) <span class="muted">${flag.spec}</span><br>${flag.advice}<br>
<span class="muted">Seen in: ${flag.traceIds.slice(0, 10).map((id) => html`<a href="${clientPath(clientId)}#trace-${id}">#${id}</a> `)}</span></li>\n`);
  const body = html`<h1>Report card of <span id="client-id">${clientId}</span></h1>
<p class="warning" id="observed-only">Only what the server observes is listed, from the ${card.requestsConsidered} recorded requests of this client. Whether the client checks state, nonce, the ID token or the issuer happens on its side and cannot be seen here.</p>
${card.flags.length === 0 ? html`<p class="flag-ok" id="no-flags">Nothing to flag in the recorded requests.</p>` : html`<ul class="flags" id="flags">\n${flags}</ul>`}
<h2>Checks with nothing to report</h2>
<ul id="passed">${card.passed.map((title) => html`<li class="flag-ok">${title}</li>`)}</ul>`;
  return inspectorPage(`Report card of ${clientId}`, body, clientId);
}
