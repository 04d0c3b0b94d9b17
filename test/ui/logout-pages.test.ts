/**
 * The logout pages: stable selectors for browser automation (id="logout-confirm"), fixed greppable
 * texts, escaping of every interpolated value, and no inline script under the CSP.
 */
import { describe, expect, it } from 'vitest';
import {
  renderLogoutConfirmPage, renderSignedOutPage, renderStillSignedInPage, SIGNED_OUT_TEXT, STILL_SIGNED_IN_TEXT,
} from '../../src/ui/logout-pages.js';
import { parseForms } from '../support/form-browser.js';

describe('RP-Initiated Logout §2 confirmation page', () => {
  const model = { action: '/logout/confirm', csrf: 'v1.a.b.c', username: 'alice', clientName: 'Photo App', lang: 'de' };

  it('MUST ask the End-User with a plain POST form: csrf, and Sign out / Stay signed in buttons', () => {
    const body = renderLogoutConfirmPage(model);
    const [form] = parseForms(body, 'http://op.example/logout');
    expect(form).toEqual({ action: 'http://op.example/logout/confirm', method: 'POST', fields: [{ name: 'csrf', value: 'v1.a.b.c' }] });
    expect(body).toMatch(/<button type="submit" id="logout-confirm" name="decision" value="logout">/);
    expect(body).toMatch(/<button type="submit" id="logout-cancel" name="decision" value="stay"/);
    expect(body).toContain('<html lang="de">');
    expect(body).not.toMatch(/<script|style=/);
  });

  it('names the asking client and the signed-in user, escaped', () => {
    const body = renderLogoutConfirmPage({ ...model, clientName: '<b>Evil</b>', username: '"alice"' });
    expect(body).toContain('<strong id="client-name">&lt;b&gt;Evil&lt;/b&gt;</strong> asks to sign you out');
    expect(body).toContain('&quot;alice&quot;');
    expect(body).not.toContain('<b>Evil</b>');
  });

  it('leaves out the client line when no client was named', () => {
    expect(renderLogoutConfirmPage({ ...model, clientName: null })).not.toContain('id="client-name"');
  });

  it('escapes the form token', () => {
    expect(renderLogoutConfirmPage({ ...model, csrf: '"><script>' })).toContain('value="&quot;&gt;&lt;script&gt;"');
  });
});

describe('logout result pages', () => {
  it('the signed-out page carries the fixed text', () => {
    const body = renderSignedOutPage('fr');
    expect(body).toContain(`<p id="signed-out">${SIGNED_OUT_TEXT}</p>`);
    expect(SIGNED_OUT_TEXT).toBe('You have been signed out.');
    expect(body).toContain('<html lang="fr">');
  });

  it('the still-signed-in page carries its fixed text and defaults to English', () => {
    const body = renderStillSignedInPage(null);
    expect(body).toContain(STILL_SIGNED_IN_TEXT);
    expect(body).toContain('<html lang="en">');
  });
});
