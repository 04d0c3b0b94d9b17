/**
 * Composition only: configuration, stores and the enabled specs become one express app.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { discoveryRouter } from '../oidc-discovery/discovery-endpoint.js';
import { userinfoRouter } from '../oidc-core/userinfo-endpoint.js';
import { securityHeaders } from '../security/headers.js';
import { interactionRouter } from '../ui/interaction-routes.js';
import { mountStylesheet } from '../ui/stylesheet.js';
import { sendErrorPage, sendOAuthError } from '../http/respond.js';
import { OAuthError } from '../errors/oauth-error.js';
import { authorizationRouter } from './authorization-endpoint.js';
import type { Context } from './context.js';
import { tokenRouter } from './token-endpoint.js';

export function createApp(ctx: Context): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(securityHeaders({ https: ctx.config.issuer.startsWith('https:') }));
  mountStylesheet(app);
  app.use(discoveryRouter(ctx));
  app.use(authorizationRouter(ctx));
  app.use(interactionRouter(ctx));
  app.use(tokenRouter(ctx));
  app.use(userinfoRouter(ctx));
  app.get('/', (_req, res) => {
    res.redirect(302, '/.well-known/openid-configuration');
  });
  app.use((req: Request, res: Response) => {
    if (req.accepts(['json', 'html']) === 'html') sendErrorPage(res, new OAuthError('invalid_request', 'Not found', { status: 404 }));
    else sendOAuthError(res, new OAuthError('invalid_request', 'Not found', { status: 404 }));
  });
  // Body parser failures (oversized or malformed bodies) and anything unexpected end here.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status;
    if (status === 413) return sendOAuthError(res, new OAuthError('invalid_request', 'Request body too large', { status: 413 }));
    if (status && status >= 400 && status < 500) return sendOAuthError(res, new OAuthError('invalid_request', 'Malformed request', { status }));
    sendOAuthError(res, error, ctx.logger);
  });
  return app;
}
