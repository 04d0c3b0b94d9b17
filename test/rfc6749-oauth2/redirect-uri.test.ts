import { describe, expect, it } from 'vitest';
import { isWellFormedRedirectUri, matchRedirectUri } from '../../src/rfc6749-oauth2/redirect-uri.js';

describe('RFC 9700 §4.1.3 exact redirect URI matching', () => {
  const registered = ['https://client.example/cb', 'https://client.example/cb?tenant=a'];

  it('MUST accept a byte-for-byte identical URI', () => {
    expect(matchRedirectUri(registered, 'https://client.example/cb')).toBe('https://client.example/cb');
    expect(matchRedirectUri(registered, 'https://client.example/cb?tenant=a')).toBe('https://client.example/cb?tenant=a');
  });

  it.each([
    ['an extra query parameter', 'https://client.example/cb?extra=1'],
    ['a changed query value', 'https://client.example/cb?tenant=b'],
    ['a trailing slash', 'https://client.example/cb/'],
    ['a longer path', 'https://client.example/cb/evil'],
    ['a different case in the host', 'https://CLIENT.example/cb'],
    ['an explicit default port', 'https://client.example:443/cb'],
    ['a different port', 'https://client.example:8443/cb'],
    ['percent-encoding of an unreserved character', 'https://client.example/%63b'],
    ['http instead of https', 'http://client.example/cb'],
    ['a sub-domain', 'https://evil.client.example/cb'],
    ['userinfo in the authority', 'https://client.example@evil.example/cb'],
  ])('MUST reject %s (no normalisation)', (_name, presented) => {
    expect(matchRedirectUri(registered, presented)).toBeUndefined();
  });

  it('MUST reject a URI with a fragment even if registered without one (RFC 6749 §3.1.2)', () => {
    expect(matchRedirectUri(registered, 'https://client.example/cb#x')).toBeUndefined();
    expect(isWellFormedRedirectUri('https://client.example/cb#x')).toBe(false);
  });

  it('MUST reject relative or unparsable URIs', () => {
    expect(isWellFormedRedirectUri('/cb')).toBe(false);
    expect(isWellFormedRedirectUri('not a uri')).toBe(false);
    expect(matchRedirectUri(['/cb'], '/cb')).toBeUndefined();
  });
});

describe('RFC 8252 §7.3 loopback redirect URIs', () => {
  it('MUST allow any port for a registered http://127.0.0.1 URI', () => {
    const registered = ['http://127.0.0.1:8080/callback'];
    expect(matchRedirectUri(registered, 'http://127.0.0.1:51004/callback')).toBe('http://127.0.0.1:8080/callback');
    expect(matchRedirectUri(registered, 'http://127.0.0.1/callback')).toBe('http://127.0.0.1:8080/callback');
    expect(matchRedirectUri(['http://127.0.0.1/callback'], 'http://127.0.0.1:3000/callback')).toBe('http://127.0.0.1/callback');
  });

  it('MUST allow any port for a registered http://[::1] URI', () => {
    expect(matchRedirectUri(['http://[::1]:1234/cb'], 'http://[::1]:60000/cb')).toBe('http://[::1]:1234/cb');
  });

  it('MUST still compare path and query exactly on loopback', () => {
    const registered = ['http://127.0.0.1:8080/callback'];
    expect(matchRedirectUri(registered, 'http://127.0.0.1:9000/other')).toBeUndefined();
    expect(matchRedirectUri(registered, 'http://127.0.0.1:9000/callback?x=1')).toBeUndefined();
    expect(matchRedirectUri(registered, 'http://127.0.0.1:9000/callback/')).toBeUndefined();
  });

  it('MUST NOT let the host differ between IPv4 and IPv6 loopback', () => {
    expect(matchRedirectUri(['http://127.0.0.1:8080/cb'], 'http://[::1]:8080/cb')).toBeUndefined();
  });

  it('SHOULD NOT extend the port exception to localhost (RFC 8252 §8.3)', () => {
    expect(matchRedirectUri(['http://localhost:8080/cb'], 'http://localhost:9090/cb')).toBeUndefined();
    expect(matchRedirectUri(['http://localhost:8080/cb'], 'http://localhost:8080/cb')).toBe('http://localhost:8080/cb');
  });

  it('MUST NOT extend it to https, other hosts, or invalid ports', () => {
    expect(matchRedirectUri(['https://127.0.0.1:8080/cb'], 'https://127.0.0.1:9090/cb')).toBeUndefined();
    expect(matchRedirectUri(['http://127.0.0.2:8080/cb'], 'http://127.0.0.2:9090/cb')).toBeUndefined();
    expect(matchRedirectUri(['http://127.0.0.1:8080/cb'], 'http://127.0.0.1:70000/cb')).toBeUndefined();
    expect(matchRedirectUri(['http://127.0.0.1:8080/cb'], 'http://127.0.0.1:80@evil.example/cb')).toBeUndefined();
  });
});
