/**
 * How errors and token-style JSON leave the server. JSON errors follow RFC 6749 §5.2; pages where a
 * redirect would be unsafe get an HTML error page with fixed, greppable text.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.1 (Cache-Control: no-store, Pragma: no-cache)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (error, error_description, error_uri)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3 (error_uri in the challenge)
 */
import encodeUrl from 'encodeurl';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { OAuthError } from '../errors/oauth-error.js';
import { requirementCatalogue } from '../errors/requirement-catalogue.js';
import { html, page, type SafeHtml } from './html.js';

/**
 * Where app.locals keeps the issuer under which /errors/ pages are served. The error pages module
 * sets it when it mounts them, so an error_uri is sent only by an app that answers it.
 */
export const ERROR_PAGES_ISSUER = 'errorPagesIssuer';

/** The issuer whose /errors/ pages explain this response's errors, if that app serves them. */
export function errorPagesIssuer(res: Response): string | undefined {
  const issuer: unknown = res.app?.locals[ERROR_PAGES_ISSUER];
  return typeof issuer === 'string' ? issuer : undefined;
}

export function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store');
  res.set('Pragma', 'no-cache');
}

/**
 * The one way an HTML page leaves the server. Pages are personal (a session, a form token, an admin
 * view) and never cached, unless `cacheControl` says the page is public (the /errors/ explanations).
 */
export function sendPage(res: Response, status: number, body: string, cacheControl?: string): void {
  if (cacheControl === undefined) noStore(res);
  else res.set('Cache-Control', cacheControl);
  res.status(status).type('text/html').send(body);
}

/**
 * A JSON answer written with node's own response API: the token, introspection and userinfo answers
 * are the hottest responses, and express's send() (content negotiation helpers, charset rewriting,
 * freshness checks that never apply to no-store POST answers) cost more than the write itself.
 * Headers other middleware set (security headers, CORS, rate-limit headers) are kept.
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  // HEAD requests get the headers only (node drops the body of a HEAD response itself).
  res.end(json);
}

/**
 * A 303 redirect with an empty body, written with node's API like sendJson: express's redirect()
 * negotiates an HTML or text body nobody reads. The Location is encoded as express encodes it.
 */
export function sendSeeOther(res: Response, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', encodeUrl(location));
  res.setHeader('Content-Length', 0);
  res.end();
}

export function sendOAuthError(res: Response, error: unknown, logger?: Logger): void {
  const oauth = OAuthError.from(error);
  logError(oauth, logger);
  const issuer = errorPagesIssuer(res);
  res.set(oauth.responseHeaders(issuer));
  sendJson(res, oauth.status, oauth.toJSON(issuer));
}

/** An HTML page for errors that must not be redirected (unknown client, unregistered redirect_uri). */
export function sendErrorPage(res: Response, error: unknown, logger?: Logger): void {
  const oauth = OAuthError.from(error);
  logError(oauth, logger);
  // A page is no API: of the error's headers only Retry-After (503) means something to a browser.
  if (oauth.headers['Retry-After'] !== undefined) res.set('Retry-After', oauth.headers['Retry-After']);
  const issuer = errorPagesIssuer(res);
  const body = html`<h1>Request rejected</h1>
<p class="error-code" id="error-code">${oauth.code}</p>
<p class="error-description" id="error-description">${oauth.description}</p>${receivedValues(oauth)}${rule(oauth)}${issuer === undefined ? '' : html`
<p><a id="error-uri" href="${oauth.errorUri(issuer)}">What this error means and how to fix it</a></p>`}`;
  sendPage(res, oauth.status === 401 ? 400 : oauth.status, page('Error', body));
}

/** What the request sent, shown back so a developer can compare it with the registration. */
function receivedValues(error: OAuthError): SafeHtml | '' {
  const entries = Object.entries(error.received);
  if (entries.length === 0) return '';
  return html`
<dl id="received">${entries.map(([name, value]) => html`<dt>${name} received</dt><dd><code>${value}</code></dd>`)}</dl>`;
}

/** The rule the request broke, in the catalogue's words (spec/). */
function rule(error: OAuthError): SafeHtml | '' {
  const entry = error.requirement === undefined ? undefined : requirementCatalogue().get(error.requirement);
  return entry ? html`
<p class="muted" id="error-rule">${entry.requirement.text}</p>` : '';
}

function logError(error: OAuthError, logger?: Logger): void {
  if (!logger) return;
  if (error.code === 'server_error') logger.error({ err: error.cause ?? error }, 'server error');
  else logger.debug({ code: error.code, description: error.description }, 'oauth error');
}

/** Wraps an async handler so a thrown error reaches `onError`, never express's default page. */
export function handle(
  work: (req: Request, res: Response) => Promise<void> | void,
  onError: (res: Response, error: unknown, req: Request) => void,
) {
  return async (req: Request, res: Response, _next: NextFunction): Promise<void> => {
    try {
      await work(req, res);
    } catch (error) {
      if (res.headersSent) return;
      onError(res, error, req);
    }
  };
}
