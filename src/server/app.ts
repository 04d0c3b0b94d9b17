/**
 * Composition only: configuration, stores and the enabled specs become one express app.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { discoveryRouter } from '../oidc-discovery/discovery-endpoint.js';
import { userinfoRouter } from '../oidc-core/userinfo-endpoint.js';
import { ProxyMatcher, requestIsHttps } from '../security/client-ip.js';
import { cors } from '../security/cors.js';
import { auditRateLimits } from '../security/audit-rate-limit.js';
import { emergencyWatch } from '../security/emergency-mode.js';
import { ipBlockGate } from '../security/ip-blocklist.js';
import { securityHeaders } from '../security/headers.js';
import { byClientIp, byClientIpAndClientId } from '../security/rate-limit-keys.js';
import { rateLimit } from '../security/rate-limit-middleware.js';
import { interactionRouter } from '../ui/interaction-routes.js';
import { mfaRouter } from '../ui/mfa-routes.js';
import { accountRouter } from '../ui/account-routes.js';
import { endSessionRouter } from '../oidc-rp-initiated-logout/end-session-endpoint.js';
import { mountStylesheet } from '../ui/stylesheet.js';
import { mountErrorPages } from '../errors/error-pages.js';
import { formBody, wellFormedPath } from '../http/params.js';
import { sendErrorPage, sendOAuthError } from '../http/respond.js';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import { OAuthError } from '../errors/oauth-error.js';
import { registrationRouter } from '../rfc7591-registration/registration-endpoint.js';
import { managementRouter } from '../rfc7592-management/management-endpoint.js';
import { introspectionRouter } from '../rfc7662-introspection/introspection-endpoint.js';
import { revocationRouter } from '../rfc7009-revocation/revocation-endpoint.js';
import { openApiRouter } from '../openapi/openapi-endpoint.js';
import { deviceAuthorizationRouter } from '../rfc8628-device-authorization/device-authorization-endpoint.js';
import { codeEntryRouter } from '../rfc8628-device-authorization/code-entry-routes.js';
import { deviceConsentRouter } from '../rfc8628-device-authorization/device-consent-routes.js';
import { pushedAuthorizationRouter } from '../rfc9126-par/pushed-authorization-endpoint.js';
import { authorizationRouter } from './authorization-endpoint.js';
import type { Context } from './context.js';
import { tokenRouter } from './token-endpoint.js';
import { testControlRouter } from '../test-control/test-control-routes.js';
import { traceCapture } from '../inspector/trace-capture.js';
import { inspectorRouter } from '../inspector/inspector-routes.js';

export function createApp(ctx: Context): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const proxies = new ProxyMatcher(ctx.config.trustedProxies);
  // req.ip (audit records) follows the same proxy rules as rate limiting.
  app.set('trust proxy', (address: string) => proxies.contains(address));
  app.use(securityHeaders({ isHttps: (req) => requestIsHttps(req, proxies, ctx.config.behindProxy) }));
  // Request inspector (src/inspector/): observes every protocol endpoint's answer, refusals included; off, not mounted.
  if (ctx.config.inspectorEnabled) app.use(traceCapture(ctx));
  // Blocked addresses are refused before anything else runs; the emergency flag is refreshed before the limits read it.
  app.use(ipBlockGate(ctx));
  app.use(emergencyWatch(ctx));
  auditRateLimits(ctx);
  app.use(cors(ctx.config.corsOrigins));
  app.use(wellFormedPath);
  mountStylesheet(app);
  mountErrorPages(app, ctx.config.issuer);
  // Limits run before the endpoints; the token key needs the form body (the router's formBody then skips).
  app.post(PATHS.token, formBody, rateLimit(ctx.limits, 'token', byClientIpAndClientId(proxies), ctx.logger));
  app.get(PATHS.authorization, rateLimit(ctx.limits, 'authorization', byClientIp(proxies), ctx.logger));
  app.post(PATHS.authorization, rateLimit(ctx.limits, 'authorization', byClientIp(proxies), ctx.logger));
  // RFC 8628 §3.1: the device authorization endpoint is limited like the token endpoint (same policy and key).
  app.post(PATHS.deviceAuthorization, formBody, rateLimit(ctx.limits, 'token', byClientIpAndClientId(proxies), ctx.logger));
  // RFC 9126: a pushed request is an authorization request, limited with the same policy and key.
  app.post(PATHS.pushedAuthorization, rateLimit(ctx.limits, 'authorization', byClientIp(proxies), ctx.logger));
  app.post(PATHS.registration, rateLimit(ctx.limits, 'registration', byClientIp(proxies), ctx.logger));
  // Every router sees each request until one answers, and no two share a path, so the order is
  // only about cost: the endpoints relying parties call most come first, the browser pages after.
  app.use(tokenRouter(ctx));
  // Introspection is limited per authenticated client inside its endpoint (policy 'introspection').
  app.use(introspectionRouter(ctx));
  app.use(authorizationRouter(ctx));
  app.use(pushedAuthorizationRouter(ctx));
  app.use(userinfoRouter(ctx));
  app.use(revocationRouter(ctx));
  app.use(deviceAuthorizationRouter(ctx));
  app.use(discoveryRouter(ctx));
  app.use(interactionRouter(ctx));
  app.use(mfaRouter(ctx));
  // User code entry is limited inside its page (policies device_verification and device_verification_global), answered on the page.
  app.use(codeEntryRouter(ctx));
  app.use(deviceConsentRouter(ctx));
  app.use(registrationRouter(ctx));
  app.use(managementRouter(ctx));
  app.use(endSessionRouter(ctx));
  app.use(accountRouter(ctx));
  app.use(openApiRouter(ctx));
  // Only on test deployments (TEST_CONTROL_ENABLED, which needs ADMIN_TOKEN); then only with the admin credential.
  if (ctx.config.testControlEnabled) app.use(testControlRouter(ctx));
  // Inspector pages and token debugger: behind the admin credential, 404 when off (src/inspector/).
  app.use(inspectorRouter(ctx));
  app.get('/', (_req, res) => {
    res.redirect(302, '/.well-known/openid-configuration');
  });
  // Errors outside any endpoint's own handling: a browser gets a page, anything else JSON.
  const sendError = (req: Request, res: Response, error: unknown) => {
    if (req.accepts(['json', 'html']) === 'html') sendErrorPage(res, error, ctx.logger);
    else sendOAuthError(res, error, ctx.logger);
  };
  app.use((req: Request, res: Response) => sendError(req, res, new OAuthError('invalid_request', 'Not found', { requirement: 'CASTELLAN-HTTP-1', status: 404 })));
  // Refusals by middleware (ill-formed text, a form the rate-limit key could not read), body parser
  // failures (oversized or malformed bodies) and anything unexpected end here.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof OAuthError) return sendError(req, res, error);
    const status = (error as { status?: number }).status;
    if (status === 413) return sendError(req, res, new OAuthError('invalid_request', 'Request body too large', { requirement: 'CASTELLAN-HTTP-1', status: 413 }));
    if (status && status >= 400 && status < 500) return sendError(req, res, new OAuthError('invalid_request', 'Malformed request', { requirement: 'CASTELLAN-HTTP-1', status }));
    // A dependency fault becomes 503 temporarily_unavailable (OAuthError.from); anything else server_error.
    sendError(req, res, error);
  });
  return app;
}
