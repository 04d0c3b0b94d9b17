/**
 * Security headers on every response. Pages carry no inline script or style, so the CSP can be strict.
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.16 (clickjacking: frame-ancestors / X-Frame-Options)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.2.4 (Referrer-Policy where codes travel)
 * @spec https://www.rfc-editor.org/rfc/rfc6797#section-7.2 (HSTS only over secure transport)
 */
import type { NextFunction, Request, Response } from 'express';

const CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "script-src 'self'",
  "form-action *",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface SecurityHeaderOptions {
  /** Whether this request reached us over TLS (directly or via a trusted proxy); decides HSTS. */
  isHttps: (req: Request) => boolean;
}

export function securityHeaders(options: SecurityHeaderOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    // RFC 6797 §7.2: a host sends HSTS only over secure transport (browsers ignore it over http anyway).
    if (options.isHttps(req)) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}
