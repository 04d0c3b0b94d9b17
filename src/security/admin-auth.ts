/**
 * The one gate of every admin surface (inspector pages, token debugger, test control API): the
 * ADMIN_TOKEN as a Bearer token (scripts, the CLI over HTTP) or as the password of HTTP Basic (any
 * user name; browsers prompt for it). Without ADMIN_TOKEN, or with the surface switched off, the
 * gate answers 404 so nothing about the surface is revealed.
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-2.1 (Bearer credentials)
 * @spec https://www.rfc-editor.org/rfc/rfc7617#section-2 (Basic credentials)
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Context } from '../server/context.js';
import { safeEqual } from '../tokens/handles.js';
import { challengeHeader, OAuthError } from '../errors/oauth-error.js';

/** The credential presented in Authorization, or undefined when none of the two schemes is used. */
export function presentedAdminCredential(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme, value] = authorization.split(' ', 2);
  if (!value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value.trim();
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** True when the request carries the configured admin token (compared in constant time). */
export function isAdmin(ctx: Pick<Context, 'config'>, req: Request): boolean {
  const expected = ctx.config.adminToken;
  const presented = presentedAdminCredential(req.headers.authorization);
  return expected !== undefined && presented !== undefined && safeEqual(presented, expected);
}

/**
 * Middleware for an admin surface. `enabled` says whether the surface is switched on; when it is
 * not (or no ADMIN_TOKEN is set) the answer is a plain 404. A wrong or missing credential gets 401
 * with a Basic challenge, so a browser asks for it.
 */
export function requireAdmin(ctx: Pick<Context, 'config'>, enabled: (config: Context['config']) => boolean): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!ctx.config.adminToken || !enabled(ctx.config)) return next(new OAuthError('invalid_request', 'Not found', { requirement: 'CASTELLAN-ADMIN-1', status: 404 }));
    if (!isAdmin(ctx, req)) {
      return next(new OAuthError('invalid_token', 'The admin surfaces need the ADMIN_TOKEN as a Bearer token or as the Basic password', { requirement: 'CASTELLAN-ADMIN-1',
        headers: { 'WWW-Authenticate': challengeHeader({ scheme: 'Basic', realm: 'castellan-admin', attributes: { charset: 'UTF-8' } }) },
      }));
    }
    next();
  };
}
