/**
 * Cookies without a cookie library: parsing the Cookie header, writing Set-Cookie, and the names and
 * attributes of Castellan's browser-session cookie.
 * @spec https://www.rfc-editor.org/rfc/rfc6265#section-4.1 (Set-Cookie syntax and attributes)
 * @spec https://www.rfc-editor.org/rfc/rfc6265#section-5.4 (the Cookie header)
 * @spec https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-4.1.3.2 (__Host- prefix)
 */
import type { Request, Response } from 'express';
import type { Config } from '../config/config.js';

export interface CookieOptions {
  path: string;
  /** Seconds; omitted makes a browser-session cookie, 0 deletes it. */
  maxAge?: number;
  secure: boolean;
  httpOnly?: boolean;
  sameSite?: 'Lax' | 'Strict' | 'None';
}

/** Cookie names are RFC 6265 tokens; values we write are base64url, so no quoting is needed. */
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The cookies a request carries; the first of duplicate names wins (the most specific path). */
export function readCookies(req: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  const header = req.headers.cookie;
  if (typeof header !== 'string') return cookies;
  for (const pair of header.split(';')) {
    const index = pair.indexOf('=');
    if (index < 1) continue;
    const name = pair.slice(0, index).trim();
    let value = pair.slice(index + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!NAME.test(name) || cookies.has(name)) continue;
    cookies.set(name, value);
  }
  return cookies;
}

export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  if (!NAME.test(name)) throw new Error(`invalid cookie name ${name}`);
  if (!/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/.test(value)) throw new Error('invalid cookie value');
  const parts = [`${name}=${value}`, `Path=${options.path}`];
  if (options.maxAge !== undefined) {
    parts.push(`Max-Age=${options.maxAge}`);
    if (options.maxAge === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  }
  if (options.httpOnly !== false) parts.push('HttpOnly');
  if (options.secure) parts.push('Secure');
  parts.push(`SameSite=${options.sameSite ?? 'Lax'}`);
  return parts.join('; ');
}

/** Appends a Set-Cookie header without dropping ones already set on the response. */
export function setCookie(res: Response, name: string, value: string, options: CookieOptions): void {
  res.append('Set-Cookie', serializeCookie(name, value, options));
}

export function isHttpsIssuer(config: Config): boolean {
  return config.issuer.startsWith('https:');
}

/** The issuer's path ('' for an issuer at the root), so cookie paths and redirects work behind a prefix. */
export function issuerPath(config: Config): string {
  return new URL(config.issuer).pathname.replace(/\/$/, '');
}

/**
 * `__Host-` binds the cookie to this exact host over https (no Domain, Path=/, Secure); a plain name
 * is used for an http issuer in development, where browsers refuse the prefix.
 */
export function sessionCookieName(config: Config): string {
  return isHttpsIssuer(config) ? '__Host-castellan' : 'castellan_session';
}

export function sessionCookieOptions(config: Config, maxAge?: number): CookieOptions {
  // __Host- requires Path=/; SameSite=Lax still lets a top-level GET to /authorize carry the session.
  return { path: '/', maxAge, secure: isHttpsIssuer(config), httpOnly: true, sameSite: 'Lax' };
}

export function readSessionCookie(req: Request, config: Config): string | undefined {
  return readCookies(req).get(sessionCookieName(config));
}

export function writeSessionCookie(res: Response, config: Config, value: string): void {
  setCookie(res, sessionCookieName(config), value, sessionCookieOptions(config, config.sessionAbsoluteTtl));
}

export function clearSessionCookie(res: Response, config: Config): void {
  setCookie(res, sessionCookieName(config), '', sessionCookieOptions(config, 0));
}
