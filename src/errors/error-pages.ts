/**
 * The pages error_uri points to: GET /errors lists the codes, GET /errors/<code> explains one, and
 * GET /errors/<code>/<requirement id> the rule of spec/ that produced it, with the section of the
 * spec, the usual causes and fixes, and notes for client libraries whose defaults lead there.
 * They hold no secrets and change only with a release, so they are public and cacheable.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (error_uri)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (error_uri in error redirects)
 */
import type { Express, Request, Response } from 'express';
import { html, page, type SafeHtml } from '../http/html.js';
import { ERROR_PAGES_ISSUER, sendPage } from '../http/respond.js';
import { ERROR_TABLE, type OAuthErrorCode } from './oauth-error.js';
import { definingSectionUrl, errorExplanations, requirementCatalogue, sectionUrl, type CataloguedRequirement, type Explanation } from './requirement-catalogue.js';

export const ERROR_PAGES_PATH = '/errors';

/**
 * Serves the pages under the issuer and records it in app.locals, so that the app's error
 * responses carry an error_uri (src/http/respond.ts) only where a page answers it.
 */
export function mountErrorPages(app: Express, issuer: string): void {
  requirementCatalogue();
  errorExplanations();
  app.locals[ERROR_PAGES_ISSUER] = issuer;
  app.get(ERROR_PAGES_PATH, (_req, res) => sendExplanation(res, 'Errors', html`<article class="error-explanation">
<h1>Errors and what they mean</h1>
${codeList()}
</article>`));
  app.get(`${ERROR_PAGES_PATH}/:code`, (req, res) => codePage(req, res));
  app.get(`${ERROR_PAGES_PATH}/:code/:requirementId`, (req, res) => requirementPage(req, res));
}

function isErrorCode(code: string): code is OAuthErrorCode {
  return Object.hasOwn(ERROR_TABLE, code);
}

function codePage(req: Request, res: Response): void {
  const code = String(req.params.code);
  if (!isErrorCode(code)) return notFound(res, `There is no error code ${code}.`);
  const explanation = errorExplanations().codes[code] ?? {};
  const body = html`<article class="error-explanation">
<h1 id="error-code">${code}</h1>
${definedBy(code)}
<p id="error-summary">${explanation.summary ?? ''}</p>
${advice(explanation)}
</article>`;
  sendExplanation(res, code, body);
}

function requirementPage(req: Request, res: Response): void {
  const code = String(req.params.code);
  const id = String(req.params.requirementId);
  if (!isErrorCode(code)) return notFound(res, `There is no error code ${code}.`);
  const entry = requirementCatalogue().get(id);
  if (!entry) return notFound(res, `There is no requirement ${id}.`);
  const explanations = errorExplanations();
  const general = explanations.codes[code] ?? {};
  const specific = explanations.requirements[id] ?? {};
  // A requirement's own causes and fixes replace the code's; library notes add up.
  const explanation: Explanation = {
    causes: specific.causes ?? general.causes,
    fixes: specific.fixes ?? general.fixes,
    libraries: { ...general.libraries, ...specific.libraries },
  };
  const body = html`<article class="error-explanation">
<h1 id="error-code">${code}</h1>
<h2>The rule</h2>
${rule(entry)}
<p id="error-summary" class="muted">${general.summary ?? ''}</p>
${advice(explanation)}
<p><a href="${ERROR_PAGES_PATH}/${code}">More about ${code}</a></p>
</article>`;
  sendExplanation(res, `${code} (${id})`, body);
}

function rule({ requirement, document }: CataloguedRequirement): SafeHtml {
  return html`<p id="requirement-text">${requirement.text}</p>
<p class="muted"><span id="requirement-id">${requirement.id}</span>, ${requirement.level}:
<a id="requirement-section" href="${sectionUrl(document.url, requirement.section)}">${document.spec} §${requirement.section}</a> (${document.title})</p>`;
}

function definedBy(code: OAuthErrorCode): SafeHtml {
  const section = ERROR_TABLE[code].section;
  const url = definingSectionUrl(section);
  const where = url === undefined ? html`${section}` : html`<a id="code-section" href="${url}">${section}</a>`;
  return html`<p class="muted">Defined in ${where}; answered with HTTP ${ERROR_TABLE[code].status}.</p>`;
}

function advice({ causes = [], fixes = [], libraries = {} }: Explanation): SafeHtml {
  const notes = Object.entries(libraries);
  return html`${causes.length ? html`<h2>Usual causes</h2>
<ul id="causes">${causes.map((cause) => html`<li>${cause}</li>`)}</ul>` : ''}
${fixes.length ? html`<h2>How to fix it</h2>
<ul id="fixes">${fixes.map((fix) => html`<li>${fix}</li>`)}</ul>` : ''}
${notes.length ? html`<h2>Client libraries</h2>
<dl id="libraries">${notes.map(([library, note]) => html`<dt>${library}</dt><dd>${note}</dd>`)}</dl>` : ''}`;
}

function codeList(): SafeHtml {
  const explained = errorExplanations().codes;
  return html`<ul id="codes">${Object.keys(ERROR_TABLE).map((code) => html`<li><a href="${ERROR_PAGES_PATH}/${code}">${code}</a>: ${explained[code]?.summary ?? ''}</li>`)}</ul>`;
}

/** An explanation is the same for everyone and changes only with a release: public and cacheable. */
function sendExplanation(res: Response, title: string, body: SafeHtml): void {
  sendPage(res, 200, page(title, body), 'public, max-age=3600');
}

function notFound(res: Response, message: string): void {
  const body = html`<h1>Page not found</h1>
<p class="error-description" id="error-description">${message}</p>
<p>Explained error codes:</p>
${codeList()}`;
  sendPage(res, 404, page('Not found', body));
}
