import { describe, expect, it } from 'vitest';
import { LOGIN_FAILED_MESSAGE, renderLoginPage } from '../../src/ui/login-page.js';

describe('login page (stable selectors for browser automation)', () => {
  const base = { action: 'login', csrf: 'csrf-token-value', clientName: 'Example App' };

  it('MUST render a plain form with username, password, csrf and the login-submit button', () => {
    const html = renderLoginPage(base);
    expect(html).toContain('<form method="post" action="login" id="login-form">');
    expect(html).toContain('<input type="hidden" name="csrf" value="csrf-token-value">');
    expect(html).toMatch(/<input type="text" id="username" name="username"/);
    expect(html).toMatch(/<input type="password" id="password" name="password"/);
    expect(html).toMatch(/<button type="submit" id="login-submit">/);
    expect(html).not.toMatch(/<script/);
    expect(html).not.toContain('id="login-error"');
  });

  it('MUST escape the client name, the prefilled username and the error', () => {
    const html = renderLoginPage({ ...base, clientName: '<img src=x onerror=alert(1)>', username: '"><script>x</script>', error: '<b>' });
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>x');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(html).toContain('&lt;b&gt;');
  });

  it('MUST show a generic error message when given one', () => {
    const html = renderLoginPage({ ...base, error: LOGIN_FAILED_MESSAGE });
    expect(html).toContain(`<p class="error" id="login-error" role="alert">${LOGIN_FAILED_MESSAGE}</p>`);
    expect(LOGIN_FAILED_MESSAGE).not.toMatch(/unknown|exist|not found/i);
  });

  it('SHOULD use the ui_locales language for the page', () => {
    expect(renderLoginPage({ ...base, lang: 'fr-CA' })).toContain('<html lang="fr-CA">');
    expect(renderLoginPage(base)).toContain('<html lang="en">');
  });
});
