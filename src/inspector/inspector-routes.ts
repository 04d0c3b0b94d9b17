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
import { handle, sendPage } from '../http/respond.js';
import { requireAdmin } from '../security/admin-auth.js';
import type { Context } from '../server/context.js';
import { issueFormToken, openFormToken } from '../ui/session-form-token.js';
import { renderReportCardPage, renderTokenDebuggerPage } from './debugger-pages.js';
import { INSPECTOR_BASE, mountInspectorStylesheet } from './inspector-layout.js';
import { reportCard } from './report-card.js';
import { debugToken } from './token-debugger.js';
import { renderClientsPage, renderClientTracesPage } from './trace-pages.js';

/** Room for a JWT with many claims. */
const MAX_TOKEN_LENGTH = 16_384;
/** Requests a client page shows by default, and at most (?limit=). */
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

/** Errors of these pages: the gate's 404 and 401, a refused form, a dependency's 503. */
function sendInspectorError(res: Response, error: unknown, ctx: Context): void {
  const oauth = OAuthError.from(error);
  if (oauth.code === 'server_error') ctx.logger.error({ err: oauth.cause ?? oauth }, 'inspector page failed');
  // The gate's Basic challenge, so a browser asks; a 503's Retry-After, so a script waits.
  for (const name of ['WWW-Authenticate', 'Retry-After']) if (oauth.headers[name] !== undefined) res.set(name, oauth.headers[name]);
  const title = oauth.status === 404 ? 'Not found' : oauth.status === 401 ? 'Admin credential required' : 'Request rejected';
  sendPage(res, oauth.status, page(title, html`<h1>${title}</h1><p class="error-description" id="error-description">${oauth.description}</p>`));
}

/** The admin has no session: the sealed token names the debugger's form alone. */
const debuggerFormToken = (ctx: Context) => issueFormToken(ctx, 'token-debugger', null, null);

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
  router.get(`${INSPECTOR_BASE}/token`, (_req, res) => sendPage(res, 200, renderTokenDebuggerPage(debuggerFormToken(ctx))));
  router.post(`${INSPECTOR_BASE}/token`, handle(async (req, res) => {
    const form = parsedFormBody(req) ?? {};
    openFormToken(ctx, 'token-debugger', form.csrf);
    const token = form.token;
    if (typeof token !== 'string' || token.trim().length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new OAuthError('invalid_request', `Paste one token of at most ${MAX_TOKEN_LENGTH} characters`, { requirement: 'INSPECTOR-DEBUG-1' });
    }
    sendPage(res, 200, renderTokenDebuggerPage(debuggerFormToken(ctx), await debugToken(ctx, token)));
  }, onError));
  // The gate's refusals get the inspector's page; a body parser's (413, malformed) the app's usual answer.
  router.use(INSPECTOR_BASE, (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof OAuthError) sendInspectorError(res, error, ctx);
    else next(error);
  });
  return router;
}
