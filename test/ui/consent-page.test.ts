import { describe, expect, it } from 'vitest';
import { renderConsentPage, SCOPE_DESCRIPTIONS } from '../../src/ui/consent-page.js';

describe('consent page (OIDC Core §3.1.2.4)', () => {
  const base = { action: 'consent', csrf: 'tok', clientName: 'Example App', username: 'alice', scopes: ['openid', 'email', 'api:read'], claims: [] };

  it('MUST list the client name and every requested scope', () => {
    const html = renderConsentPage(base);
    expect(html).toContain('<strong id="client-name">Example App</strong>');
    expect(html).toContain(`<li data-scope="email">${SCOPE_DESCRIPTIONS.email}`);
    expect(html).toContain('<li data-scope="openid">');
    expect(html).toContain('<li data-scope="api:read">api:read');
    expect(html).toContain('<span id="username">alice</span>');
  });

  it('MUST offer approve and deny buttons carrying the decision, and the csrf field', () => {
    const html = renderConsentPage(base);
    expect(html).toContain('<button type="submit" id="approve" name="decision" value="approve">');
    expect(html).toContain('<button type="submit" id="deny" name="decision" value="deny"');
    expect(html).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(html).not.toMatch(/<script/);
  });

  it('MUST list individually requested claims when there are any', () => {
    expect(renderConsentPage(base)).not.toContain('id="claims"');
    expect(renderConsentPage({ ...base, claims: ['email', 'birthdate'] })).toMatch(/id="claims">\n<li>email<\/li>\n<li>birthdate<\/li>/);
  });

  it('MUST escape client-controlled text', () => {
    const html = renderConsentPage({ ...base, clientName: '<script>alert(1)</script>', scopes: ['"><img>'] });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img>');
  });
});
