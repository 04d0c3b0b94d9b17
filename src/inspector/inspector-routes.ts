/**
 * The inspector's pages, all behind the admin credential (404 when the inspector is off or no
 * ADMIN_TOKEN is set): clients with recent activity, one client's requests, its report card, and
 * the token debugger. The debugger's form carries a sealed form token, because a browser sends the
 * Basic credential by itself and another site must not be able to post to it.
 * @spec https://www.rfc-editor.org/rfc/rfc7617#section-2 (Basic challenge)
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html (encrypted token pattern)
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { html, page } from '../http/html.js';
import { formBody, parsedFormBody } from '../http/params.js';
import { handle, noStore } from '../http/respond.js';
import { requireAdmin } from '../security/admin-auth.js';
import type { Context } from '../server/context.js';
import { renderReportCardPage, renderTokenDebuggerPage } from './debugger-pages.js';
import { INSPECTOR_BASE, mountInspectorStylesheet } from './inspector-layout.js';
import { reportCard } from './report-card.js';
import { debugToken } from './token-debugger.js';
import { renderClientsPage, renderClientTracesPage } from './trace-pages.js';

const FORM_PURPOSE = 'castellan-inspector-token-debugger';
const FORM_TTL = 30 * 60;
/** Room for a JWT with many claims. */
const MAX_TOKEN_LENGTH = 16_384;
/** Requests a client page shows by default, and at most (?limit=). */
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

function issueFormToken(ctx: Context): string {
  return ctx.sealer.seal(JSON.stringify({ p: FORM_PURPOSE, exp: ctx.clock() + FORM_TTL }));
}

function checkFormToken(ctx: Context, presented: unknown): void {
  const rejected = new OAuthError('invalid_request', 'The form has expired or did not come from this site. Reload the token debugger and try again.', { status: 403, requirement: 'INSPECTOR-CSRF-1' });
  if (typeof presented !== 'string' || presented.length > 4096) throw rejected;
  let sealed: { p?: unknown; exp?: unknown };
  try {
    sealed = JSON.parse(ctx.sealer.open(presented)) as { p?: unknown; exp?: unknown };
  } catch {
    throw rejected;
  }
  if (sealed.p !== FORM_PURPOSE || typeof sealed.exp !== 'number' || sealed.exp <= ctx.clock()) throw rejected;
}

function sendPage(res: Response, status: number, body: string): void {
  noStore(res);
  res.status(status).type('text/html').send(body);
}

/** Errors of these pages: the gate's 404 and 401 (with its Basic challenge, so a browser asks), a refused form. */
function sendInspectorError(res: Response, error: unknown, ctx: Context): void {
  const oauth = OAuthError.from(error);
  if (oauth.code === 'server_error') ctx.logger.error({ err: oauth.cause ?? oauth }, 'inspector page failed');
  if (oauth.headers['WWW-Authenticate']) res.set('WWW-Authenticate', oauth.headers['WWW-Authenticate']);
  const title = oauth.status === 404 ? 'Not found' : oauth.status === 401 ? 'Admin credential required' : 'Request rejected';
  sendPage(res, oauth.status, page(title, html`<h1>${title}</h1><p class="error-description" id="error-description">${oauth.description}</p>`));
}

const limitOf = (req: Request) => {
  const asked = Number(req.query.limit);
  return Number.isInteger(asked) && asked >= 1 ? Math.min(asked, MAX_PAGE) : DEFAULT_PAGE;
};

export function inspectorRouter(ctx: Context): Router {
  const router = express.Router();
  mountInspectorStylesheet(router);
  const onError = (res: Response, error: unknown) => sendInspectorError(res, error, ctx);
  // The form is read before the gate, like every endpoint's, so an oversized body is 413 everywhere.
  router.post(`${INSPECTOR_BASE}/token`, formBody);
  router.use(INSPECTOR_BASE, requireAdmin(ctx, (config) => config.inspectorEnabled === true));

  router.get(INSPECTOR_BASE, handle(async (_req, res) => {
    sendPage(res, 200, renderClientsPage(await ctx.stores.requestTraces.clients(200)));
  }, onError));
  router.get(`${INSPECTOR_BASE}/clients/:clientId`, handle(async (req, res) => {
    const clientId = String(req.params.clientId);
    const [traces, client] = await Promise.all([ctx.stores.requestTraces.listByClient(clientId, { limit: limitOf(req) }), ctx.stores.clients.find(clientId)]);
    sendPage(res, 200, renderClientTracesPage(clientId, traces, client !== undefined));
  }, onError));
  router.get(`${INSPECTOR_BASE}/clients/:clientId/report`, handle(async (req, res) => {
    const clientId = String(req.params.clientId);
    const traces = await ctx.stores.requestTraces.listByClient(clientId, { limit: ctx.config.inspectorMaxPerClient });
    sendPage(res, 200, renderReportCardPage(clientId, reportCard(traces)));
  }, onError));
  router.get(`${INSPECTOR_BASE}/token`, (_req, res) => sendPage(res, 200, renderTokenDebuggerPage(issueFormToken(ctx))));
  router.post(`${INSPECTOR_BASE}/token`, handle(async (req, res) => {
    const form = parsedFormBody(req) ?? {};
    checkFormToken(ctx, form.csrf);
    const token = form.token;
    if (typeof token !== 'string' || token.trim().length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new OAuthError('invalid_request', `Paste one token of at most ${MAX_TOKEN_LENGTH} characters`, { requirement: 'INSPECTOR-DEBUG-1' });
    }
    sendPage(res, 200, renderTokenDebuggerPage(issueFormToken(ctx), await debugToken(ctx, token)));
  }, onError));
  // The gate's refusals get the inspector's page; a body parser's (413, malformed) the app's usual answer.
  router.use(INSPECTOR_BASE, (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof OAuthError) sendInspectorError(res, error, ctx);
    else next(error);
  });
  return router;
}
