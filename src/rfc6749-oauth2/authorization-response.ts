/**
 * Delivering the authorization response (code or error) to the redirect_uri: in the query with a
 * 303 redirect, or as an auto-submitted form (response_mode=form_post). Every answer carries `iss`.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (code, state)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (error, error_description, state)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2 (the redirect URI's query is kept)
 * @spec https://www.rfc-editor.org/rfc/rfc9207#section-2 (iss in every response, errors included)
 * @spec https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.12 (303 so a POSTed form is not re-sent)
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-2.3 (JWT modes: the parameters signed into `response`, src/jarm/)
 */
import type { Response, Router } from 'express';
import type { Logger } from 'pino';
import type { Context } from '../server/context.js';
import { OAuthError } from '../errors/oauth-error.js';
import { html, page } from '../http/html.js';
import { errorPagesIssuer, noStore, sendSeeOther } from '../http/respond.js';
import type { ResponseTarget } from './authorization-request.js';
import { carrierMode, isJwtResponseMode } from '../jarm/response-modes.js';
import { jwtResponseParameters } from '../jarm/response-jwt.js';

export const FORM_POST_SCRIPT_PATH = '/assets/form-post.js';

/** The response parameters in order: the result, then state when the client sent one, then iss. */
export function responseParameters(issuer: string, target: Omit<ResponseTarget, 'clientId'>, result: Record<string, string>): [string, string][] {
  const params = Object.entries(result);
  if (target.state !== null) params.push(['state', target.state]);
  params.push(['iss', issuer]);
  return params;
}

/**
 * Appends the parameters to the redirect URI as sent, keeping its own query (RFC 6749 §3.1.2) and
 * never re-serialising it, since the client compares it as a string.
 */
export function redirectLocation(redirectUri: string, params: [string, string][]): string {
  const query = params.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  if (!redirectUri.includes('?')) return `${redirectUri}?${query}`;
  return redirectUri.endsWith('?') || redirectUri.endsWith('&') ? redirectUri + query : `${redirectUri}&${query}`;
}

/**
 * The form_post page: hidden inputs, a visible button so it works without JavaScript, and an
 * external script that submits it (the CSP forbids inline script). Every value is escaped.
 */
export function formPostPage(action: string, params: [string, string][], lang = 'en'): string {
  const body = html`<h1>Continue to the application</h1>
<p class="muted">If nothing happens, press the button.</p>
<form method="post" action="${action}" id="form-post">
${params.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">\n`)}<button type="submit" id="form-post-submit">Continue</button>
</form>
<script src="${FORM_POST_SCRIPT_PATH}"></script>`;
  return page('Continue', body, lang);
}

/** Submits the form through the prototype, so a parameter named "submit" cannot shadow the method. */
export const FORM_POST_SCRIPT = `(function () {
  var form = document.getElementById('form-post');
  if (form) HTMLFormElement.prototype.submit.call(form);
})();
`;

export function mountFormPostScript(router: Router): void {
  router.get(FORM_POST_SCRIPT_PATH, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('application/javascript').send(FORM_POST_SCRIPT);
  });
}

async function deliver(res: Response, ctx: Context, target: ResponseTarget, params: [string, string][], lang?: string): Promise<void> {
  // JARM: the same parameters, signed into one `response` parameter carried by the query or a form.
  const { responseMode } = target;
  const sent = isJwtResponseMode(responseMode) ? await jwtResponseParameters(ctx, target, params) : params;
  const mode = isJwtResponseMode(responseMode) ? carrierMode(responseMode) : responseMode;
  // Which client this answer goes to, for observers of the response (the request inspector records
  // an answer delivered after the sign-in pages, whose requests name no client).
  res.locals.authorizationResponseClient = target.clientId;
  noStore(res);
  if (mode === 'form_post') {
    res.status(200).type('text/html').send(formPostPage(target.redirectUri, sent, lang));
    return;
  }
  sendSeeOther(res, redirectLocation(target.redirectUri, sent));
}

export async function sendAuthorizationResponse(res: Response, ctx: Context, target: ResponseTarget, code: string, lang?: string): Promise<void> {
  await deliver(res, ctx, target, responseParameters(ctx.config.issuer, target, { code }), lang);
}

/** An error for a client whose redirect_uri is proven; anything unexpected becomes server_error. */
export async function sendAuthorizationError(res: Response, ctx: Context, target: ResponseTarget, error: unknown, logger?: Logger): Promise<void> {
  const oauth = OAuthError.from(error);
  if (logger) {
    if (oauth.code === 'server_error') logger.error({ err: oauth.cause ?? oauth }, 'authorization server error');
    else logger.debug({ code: oauth.code, description: oauth.description }, 'authorization error');
  }
  await deliver(res, ctx, target, responseParameters(ctx.config.issuer, target, oauth.toJSON(errorPagesIssuer(res))));
}
