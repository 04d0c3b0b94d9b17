import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import {
  issuerPath, readCookies, serializeCookie, sessionCookieName, sessionCookieOptions,
} from '../../src/http/session-cookie.js';

const fakeRequest = (cookie?: string) => ({ headers: cookie === undefined ? {} : { cookie } }) as unknown as Request;

describe('RFC 6265 §5.4 reading the Cookie header', () => {
  it('MUST parse name=value pairs separated by semicolons', () => {
    const cookies = readCookies(fakeRequest('a=1; castellan_session=abc_-DEF; quoted="x y"'));
    expect(cookies.get('a')).toBe('1');
    expect(cookies.get('castellan_session')).toBe('abc_-DEF');
    expect(cookies.get('quoted')).toBe('x y');
  });

  it('MUST keep the first of duplicate names and skip malformed pairs', () => {
    const cookies = readCookies(fakeRequest('x=first; x=second; novalue; =bare; bad name=1'));
    expect(cookies.get('x')).toBe('first');
    expect([...cookies.keys()]).toEqual(['x']);
  });

  it('MUST cope with no Cookie header', () => {
    expect(readCookies(fakeRequest()).size).toBe(0);
  });
});

describe('RFC 6265 §4.1 writing Set-Cookie', () => {
  it('MUST write HttpOnly, SameSite and Path, and Secure only when asked', () => {
    expect(serializeCookie('n', 'v', { path: '/', secure: false })).toBe('n=v; Path=/; HttpOnly; SameSite=Lax');
    expect(serializeCookie('n', 'v', { path: '/x', secure: true, maxAge: 60 })).toBe('n=v; Path=/x; Max-Age=60; HttpOnly; Secure; SameSite=Lax');
  });

  it('MUST expire a deleted cookie', () => {
    expect(serializeCookie('n', '', { path: '/', secure: false, maxAge: 0 })).toContain('Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  });

  it('MUST refuse values that would break the header', () => {
    expect(() => serializeCookie('n', 'a;b', { path: '/', secure: false })).toThrow();
    expect(() => serializeCookie('n', 'a\r\nSet-Cookie: x=y', { path: '/', secure: false })).toThrow();
    expect(() => serializeCookie('bad name', 'v', { path: '/', secure: false })).toThrow();
  });
});

describe('session cookie name and attributes', () => {
  it('MUST use the __Host- prefix with Secure and Path=/ for an https issuer', () => {
    const config = loadConfig({}, { issuer: 'https://as.example' });
    expect(sessionCookieName(config)).toBe('__Host-castellan');
    const options = sessionCookieOptions(config);
    expect(serializeCookie(sessionCookieName(config), 'v', options)).toBe('__Host-castellan=v; Path=/; HttpOnly; Secure; SameSite=Lax');
  });

  it('MUST fall back to a plain name without Secure for an http issuer', () => {
    const config = loadConfig({}, { issuer: 'http://localhost:3000' });
    expect(sessionCookieName(config)).toBe('castellan_session');
    expect(sessionCookieOptions(config).secure).toBe(false);
  });

  it('MUST find the issuer path for cookie paths and redirects', () => {
    expect(issuerPath(loadConfig({}, { issuer: 'https://as.example' }))).toBe('');
    expect(issuerPath(loadConfig({}, { issuer: 'https://as.example/tenant' }))).toBe('/tenant');
  });
});
