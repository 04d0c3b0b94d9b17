/**
 * The inspector's pages of recorded requests: the clients with recent activity, and one client's
 * recent requests, each with its outcome, its parameters (secrets shown only as masked), its error
 * with a link to the explanation of the requirement it enforces, and the tokens it issued, decoded.
 */
import { html, type SafeHtml } from '../http/html.js';
import type { ClientActivity, DecodedJwt, IssuedToken, MaskedSecret, RequestTrace, TraceError } from '../storage/request-trace-records.js';
import { clientPath, inspectorPage } from './inspector-layout.js';
import { isoTime } from '../server/context.js';
import { MASKED } from './secret-masking.js';

export function renderClientsPage(clients: ClientActivity[]): string {
  const rows = clients.map((c) => html`<tr data-client-id="${c.clientId}"><td><a href="${clientPath(c.clientId)}">${c.clientId}</a></td><td>${c.requests}</td><td>${c.errors}</td><td>${isoTime(c.lastAt)}</td><td><a href="${clientPath(c.clientId)}/report">report card</a></td></tr>\n`);
  const body = clients.length === 0
    ? html`<h1>Request inspector</h1><p id="no-activity">No client has called a protocol endpoint recently.</p>`
    : html`<h1>Request inspector</h1>
<p class="muted">Clients with recent requests to the protocol endpoints, most recently active first.</p>
<table class="traces" id="clients"><thead><tr><th>Client</th><th>Requests kept</th><th>Errors</th><th>Last request</th><th></th></tr></thead>
<tbody>
${rows}</tbody></table>`;
  return inspectorPage('Request inspector', body);
}

const statusClass = (status: number) => (status >= 400 ? 'failed' : status >= 300 ? 'redirect' : 'ok');

/** Where the explanation of an error lives: /errors/<code>/<requirement> (the error_uri's path). */
export const explanationPath = (error: TraceError) => (error.requirement ? `/errors/${encodeURIComponent(error.code)}/${encodeURIComponent(error.requirement)}` : undefined);

function jwtBlock(jwt: DecodedJwt): SafeHtml {
  return html`<pre class="claims">${JSON.stringify(jwt.header, null, 2)}\n${JSON.stringify(jwt.claims, null, 2)}</pre>`;
}

function maskedText(secret: MaskedSecret | undefined): string {
  if (!secret) return MASKED;
  const parts = [`${secret.length} chars`];
  if (secret.scheme) parts.unshift(secret.scheme);
  if (secret.user) parts.push(`user ${secret.user}`);
  if (secret.hint) parts.push(`#${secret.hint}`);
  return `masked (${parts.join(', ')})`;
}

function paramList(params: Record<string, string | string[]>, masked: Record<string, MaskedSecret>): SafeHtml {
  const names = [...new Set([...Object.keys(params), ...Object.keys(masked)])];
  if (names.length === 0) return html`<p class="muted">No parameters.</p>`;
  const items = names.map((name) => {
    const secret = masked[name];
    if (secret || params[name] === MASKED) {
      return html`<dt>${name}</dt><dd class="masked" data-param="${name}">${maskedText(secret)}${secret?.jwt ? html`<details><summary>decoded (no signature kept)</summary>${jwtBlock(secret.jwt)}</details>` : ''}</dd>\n`;
    }
    const value = params[name];
    return html`<dt>${name}</dt><dd data-param="${name}">${Array.isArray(value) ? value.join(' | ') : value}</dd>\n`;
  });
  return html`<dl class="params">\n${items}</dl>`;
}

function issuedList(issued: IssuedToken[]): SafeHtml {
  if (issued.length === 0) return html``;
  const items = issued.map((token) => html`<li class="issued" data-kind="${token.kind}"><strong>${token.kind}</strong> ${token.format}${token.tokenType ? ` ${token.tokenType}` : ''}${token.expiresIn !== undefined ? `, expires_in ${token.expiresIn}` : ''}${token.hint ? ` #${token.hint}` : ''}${token.jwt ? jwtBlock(token.jwt) : ''}</li>\n`);
  return html`<h3>Issued</h3><ul class="issued">\n${items}</ul>`;
}

function errorBlock(error: TraceError | undefined): SafeHtml {
  if (!error) return html``;
  const link = explanationPath(error);
  return html`<p class="error trace-error"><span class="error-code">${error.code}</span>${error.description ? `: ${error.description}` : ''}${link ? html` <a class="explanation" href="${link}">why (${error.requirement})</a>` : ''}</p>`;
}

function renderTrace(trace: RequestTrace): SafeHtml {
  const redirect = trace.redirect
    ? html`<p class="redirect">Redirected to <code>${trace.redirect}</code></p>${trace.redirectParams ? paramList(trace.redirectParams, {}) : ''}`
    : html``;
  return html`<section class="trace" id="trace-${trace.id}" data-endpoint="${trace.endpoint}">
<h2><span class="muted">#${trace.id}</span> ${isoTime(trace.at)} · ${trace.method} ${trace.endpoint} <span class="status ${statusClass(trace.status)}">${trace.status}</span> <span class="muted">${trace.durationMs} ms</span></h2>
${errorBlock(trace.error)}
${paramList(trace.params, trace.masked)}
${redirect}
${issuedList(trace.issued)}
</section>\n`;
}

export function renderClientTracesPage(clientId: string, traces: RequestTrace[], known: boolean): string {
  const body = html`<h1>Requests of <span id="client-id">${clientId}</span></h1>
${known ? '' : html`<p class="warning">No registered client has this client_id: these requests named it anyway.</p>`}
<p class="muted">The newest ${traces.length} recorded requests naming this client, newest first. Secrets are never kept: a masked value shows only its length and, where it helps to match two requests, a one-way hint.</p>
${traces.length === 0 ? html`<p id="no-requests">No requests recorded.</p>` : traces.map(renderTrace)}`;
  return inspectorPage(`Requests of ${clientId}`, body, clientId);
}
