/**
 * CORS for the endpoints browser-based clients call directly: discovery, JWKS, token, userinfo,
 * revocation and introspection. Never on /authorize or the login and consent pages: those are
 * navigations, and allowing cross-origin reads there would only help an attacker's script.
 * No credentials are ever allowed: these endpoints authenticate with headers or the form, not cookies.
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-2.6 (CORS may serve browser clients; never at the authorization endpoint)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#UserInfo (UserInfo should support CORS)
 * @spec https://fetch.spec.whatwg.org/#http-cors-protocol
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-8 (DPoP-Nonce read by browser clients)
 */
import type { NextFunction, Request, Response } from 'express';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import { RATE_LIMIT_HEADERS } from './rate-limit-middleware.js';

/** Exact paths with CORS, plus everything under /.well-known/. */
export const CORS_PATHS: readonly string[] = [PATHS.token, PATHS.userinfo, PATHS.jwks, '/revoke', '/introspect'];
const WELL_KNOWN = '/.well-known/';

const ALLOW_METHODS = 'GET, POST';
const ALLOW_HEADERS = 'Authorization, Content-Type, DPoP';
const EXPOSE_HEADERS = [...RATE_LIMIT_HEADERS, 'Retry-After', 'WWW-Authenticate', 'DPoP-Nonce'].join(', ');
/** Seconds a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE = '600';

export function corsApplies(path: string): boolean {
  return CORS_PATHS.includes(path) || path.startsWith(WELL_KNOWN);
}

/**
 * `origins` is `['*']` (any origin, development default) or the exact origins allowed to read
 * responses; a listed origin is echoed, an unlisted one gets no CORS headers at all.
 */
export function cors(origins: readonly string[]) {
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!corsApplies(req.path)) return next();
    const origin = req.get('origin');
    // The answer depends on Origin whenever origins are restricted, so shared caches must key on it.
    if (!anyOrigin) res.vary('Origin');
    const permitted = origin !== undefined && (anyOrigin || allowed.has(origin));
    if (permitted) {
      res.set('Access-Control-Allow-Origin', anyOrigin ? '*' : origin);
      res.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    }
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      if (permitted) {
        res.set('Access-Control-Allow-Methods', ALLOW_METHODS);
        res.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
        res.set('Access-Control-Max-Age', PREFLIGHT_MAX_AGE);
      }
      // Answered here either way; without the allow headers the browser refuses the real request.
      res.status(204).end();
      return;
    }
    next();
  };
}
