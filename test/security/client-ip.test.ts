import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { clientIp, normalizeIp, parseProxyEntry, ProxyMatcher, requestIsHttps } from '../../src/security/client-ip.js';

function fakeRequest(peer: string | undefined, headers: Record<string, string | string[]> = {}, encrypted = false): Request {
  return { socket: { remoteAddress: peer, encrypted }, headers } as unknown as Request;
}

describe('RFC 7239 §8.1 client address behind proxies', () => {
  const proxies = new ProxyMatcher(['10.0.0.0/8', '192.168.1.10', 'fd00::/8']);

  it('MUST ignore X-Forwarded-For from a peer that is not a trusted proxy (spoofing)', () => {
    expect(clientIp(fakeRequest('203.0.113.5', { 'x-forwarded-for': '198.51.100.1' }), proxies)).toBe('203.0.113.5');
    expect(clientIp(fakeRequest('203.0.113.5', { 'x-forwarded-for': '10.0.0.1' }), proxies)).toBe('203.0.113.5');
    expect(clientIp(fakeRequest('203.0.113.5', { 'x-forwarded-for': '198.51.100.1' }), [])).toBe('203.0.113.5');
  });

  it('honours X-Forwarded-For from a trusted proxy', () => {
    expect(clientIp(fakeRequest('10.1.2.3', { 'x-forwarded-for': '198.51.100.1' }), proxies)).toBe('198.51.100.1');
  });

  it('walks the chain from the right, skipping trusted hops, and never believes what the client prepended', () => {
    const req = fakeRequest('10.0.0.2', { 'x-forwarded-for': '1.1.1.1, 198.51.100.1, 192.168.1.10, 10.9.9.9' });
    expect(clientIp(req, proxies)).toBe('198.51.100.1');
  });

  it('joins repeated X-Forwarded-For headers in order', () => {
    const req = fakeRequest('10.0.0.2', { 'x-forwarded-for': ['6.6.6.6, 198.51.100.1', '10.0.0.3'] });
    expect(clientIp(req, proxies)).toBe('198.51.100.1');
  });

  it('treats the IPv4-mapped IPv6 peer of a dual-stack socket as the IPv4 address', () => {
    expect(clientIp(fakeRequest('::ffff:10.0.0.7', { 'x-forwarded-for': '198.51.100.9' }), proxies)).toBe('198.51.100.9');
    expect(clientIp(fakeRequest('::ffff:203.0.113.5', { 'x-forwarded-for': '198.51.100.9' }), proxies)).toBe('203.0.113.5');
  });

  it('matches IPv6 CIDRs and normalises IPv6 spelling', () => {
    expect(clientIp(fakeRequest('FD12::1', { 'x-forwarded-for': '2001:DB8::1' }), proxies)).toBe('2001:db8::1');
    expect(clientIp(fakeRequest('fe80::1', { 'x-forwarded-for': '2001:db8::1' }), proxies)).toBe('fe80::1');
  });

  it('returns the furthest address when every hop is trusted, and the peer when there is no header', () => {
    expect(clientIp(fakeRequest('10.0.0.2', { 'x-forwarded-for': '10.0.0.9, 10.0.0.3' }), proxies)).toBe('10.0.0.9');
    expect(clientIp(fakeRequest('10.0.0.2'), proxies)).toBe('10.0.0.2');
  });

  it('stops at a hop that is not an address instead of believing anything left of it', () => {
    expect(clientIp(fakeRequest('10.0.0.2', { 'x-forwarded-for': '198.51.100.1, unknown' }), proxies)).toBe('10.0.0.2');
  });

  it('strips ports and brackets some proxies append', () => {
    expect(clientIp(fakeRequest('10.0.0.2', { 'x-forwarded-for': '198.51.100.1:4711' }), proxies)).toBe('198.51.100.1');
    expect(clientIp(fakeRequest('10.0.0.2', { 'x-forwarded-for': '[2001:db8::2]:443' }), proxies)).toBe('2001:db8::2');
  });
});

describe('TRUSTED_PROXIES entries', () => {
  it.each([['10.0.0.0/8', 'ipv4', 8], ['::1', 'ipv6', undefined], ['2001:db8::/32', 'ipv6', 32], ['127.0.0.1', 'ipv4', undefined]])('accepts %s', (entry, type, prefix) => {
    const parsed = parseProxyEntry(entry);
    expect(parsed?.type).toBe(type);
    expect(parsed?.prefix).toBe(prefix);
  });

  it.each(['10.0.0.0/33', '::/129', 'example.com', '10.0.0.0/8/1', '10.0.0/8', '', '1.2.3.4/x'])('rejects %s', (entry) => {
    expect(parseProxyEntry(entry)).toBeUndefined();
  });

  it('normalises addresses', () => {
    expect(['::FFFF:1.2.3.4', '[::1]:80', 'fe80::1%eth0', ' 1.2.3.4:80 '].map(normalizeIp)).toEqual(['1.2.3.4', '::1', 'fe80::1', '1.2.3.4']);
  });
});

describe('RFC 6797 §7.2 https detection for HSTS', () => {
  const proxies = new ProxyMatcher(['10.0.0.1']);

  it('is https on our own TLS socket', () => {
    expect(requestIsHttps(fakeRequest('203.0.113.5', {}, true), proxies, false)).toBe(true);
  });

  it('believes X-Forwarded-Proto only with BEHIND_PROXY and only from a trusted proxy', () => {
    const forwarded = { 'x-forwarded-proto': 'https' };
    expect(requestIsHttps(fakeRequest('10.0.0.1', forwarded), proxies, true)).toBe(true);
    expect(requestIsHttps(fakeRequest('10.0.0.1', forwarded), proxies, false)).toBe(false);
    expect(requestIsHttps(fakeRequest('203.0.113.5', forwarded), proxies, true)).toBe(false);
    expect(requestIsHttps(fakeRequest('10.0.0.1', { 'x-forwarded-proto': 'http' }), proxies, true)).toBe(false);
  });

  it('reads the value the nearest proxy appended', () => {
    expect(requestIsHttps(fakeRequest('10.0.0.1', { 'x-forwarded-proto': 'https, http' }), proxies, true)).toBe(false);
    expect(requestIsHttps(fakeRequest('10.0.0.1', { 'x-forwarded-proto': 'http, https' }), proxies, true)).toBe(true);
  });
});
