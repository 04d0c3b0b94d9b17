import { describe, expect, it } from 'vitest';
import { FORM_POST_SCRIPT, formPostPage, redirectLocation, responseParameters } from '../../src/rfc6749-oauth2/authorization-response.js';

const ISSUER = 'https://as.example';

describe('RFC 6749 §4.1.2 authorization response', () => {
  it('MUST add state when the client sent one, and iss always (RFC 9207 §2)', () => {
    const withState = responseParameters(ISSUER, { redirectUri: 'https://c.example/cb', responseMode: 'query', state: 'xyz' }, { code: 'abc' });
    expect(withState).toEqual([['code', 'abc'], ['state', 'xyz'], ['iss', ISSUER]]);
    const without = responseParameters(ISSUER, { redirectUri: 'https://c.example/cb', responseMode: 'query', state: null }, { error: 'access_denied' });
    expect(without).toEqual([['error', 'access_denied'], ['iss', ISSUER]]);
  });

  it('MUST keep the query component of the redirect URI (RFC 6749 §3.1.2)', () => {
    expect(redirectLocation('https://c.example/cb?tenant=a%20b', [['code', 'x']])).toBe('https://c.example/cb?tenant=a%20b&code=x');
    expect(redirectLocation('https://c.example/cb', [['code', 'x'], ['state', 'a b&c=d']])).toBe('https://c.example/cb?code=x&state=a%20b%26c%3Dd');
    expect(redirectLocation('https://c.example/cb?', [['code', 'x']])).toBe('https://c.example/cb?code=x');
  });

  it('MUST round-trip arbitrary state values through the query', () => {
    const state = 'ü "quoted" <tag> & = + / ?';
    const url = new URL(redirectLocation('https://c.example/cb', [['state', state]]));
    expect(url.searchParams.get('state')).toBe(state);
  });
});

describe('OAuth 2.0 Form Post Response Mode §2', () => {
  it('MUST render the parameters as hidden inputs of a POST form to the redirect URI', () => {
    const html = formPostPage('https://c.example/cb', [['code', 'abc'], ['state', 's'], ['iss', ISSUER]]);
    expect(html).toContain('<form method="post" action="https://c.example/cb" id="form-post">');
    expect(html).toContain('<input type="hidden" name="code" value="abc">');
    expect(html).toContain(`<input type="hidden" name="iss" value="${ISSUER}">`);
    expect(html).toMatch(/<button type="submit"[^>]*>Continue<\/button>/);
  });

  it('MUST escape every value (no script injection through state)', () => {
    const html = formPostPage('https://c.example/cb?a="b"', [['state', '"><script>alert(1)</script>']]);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).toContain('action="https://c.example/cb?a=&quot;b&quot;"');
  });

  it('MUST NOT use inline script (the CSP forbids it); the script is external', () => {
    const html = formPostPage('https://c.example/cb', [['code', 'abc']]);
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script src="/assets/form-post.js">']);
    expect(FORM_POST_SCRIPT).toContain('HTMLFormElement.prototype.submit.call');
  });
});
