/**
 * The MFA pages as HTML: stable selectors for automation, everything escaped, no script or inline
 * style (the CSP forbids both), the QR code as a data: image, recovery codes listed once.
 * @spec https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#attr-fe-autocomplete-one-time-code
 */
import { describe, expect, it } from 'vitest';
import {
  groupedSecret, renderEnrollPage, renderMfaChallengePage, renderMfaStatusPage, renderRecoveryCodesPage, renderSignInRequiredPage,
} from '../../src/ui/mfa-pages.js';

const noScriptOrStyle = (html: string) => {
  expect(html).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
};

describe('MFA challenge page (selectors for browser automation)', () => {
  const base = { action: 'mfa', csrf: 'csrf-token-value', clientName: 'Example App' };

  it('MUST render the code form with name="otp" and id="mfa-submit", and a recovery-code form, both with the csrf token', () => {
    const html = renderMfaChallengePage(base);
    expect(html).toContain('<form method="post" action="mfa" id="mfa-form">');
    expect(html).toMatch(/<input type="text" id="otp" name="otp" inputmode="numeric"[^>]*autocomplete="one-time-code"/);
    expect(html).toMatch(/<button type="submit" id="mfa-submit">/);
    expect(html).toMatch(/<input type="text" id="recovery_code" name="recovery_code"/);
    expect(html).toMatch(/<button type="submit" id="recovery-submit"/);
    expect(html.match(/<input type="hidden" name="csrf" value="csrf-token-value">/g)).toHaveLength(2);
    expect(html).not.toContain('id="mfa-error"');
    noScriptOrStyle(html);
  });

  it('MUST escape the client name and the error', () => {
    const html = renderMfaChallengePage({ ...base, clientName: '<img src=x onerror=alert(1)>', error: '<b>bad</b>' });
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<p class="error" id="mfa-error" role="alert">&lt;b&gt;bad&lt;/b&gt;</p>');
  });
});

describe('MFA enrolment pages', () => {
  const model = {
    action: '/account/mfa', csrf: 'sealed-token', username: 'alice"<x>', qrDataUrl: 'data:image/png;base64,iVBORw0KGgo=', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  };

  it('MUST show the QR code as a data: image and the key as text, and ask for the password and a first code', () => {
    const html = renderEnrollPage(model);
    expect(html).toContain('<img id="mfa-qr" src="data:image/png;base64,iVBORw0KGgo="');
    expect(html).toContain('<code id="mfa-secret" class="secret">JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP</code>');
    expect(html).toContain('<input type="hidden" name="csrf" value="sealed-token">');
    expect(html).toMatch(/<input type="password" id="password" name="password" autocomplete="current-password"/);
    expect(html).toMatch(/<input type="text" id="otp" name="otp"/);
    expect(html).toMatch(/<button type="submit" id="enroll-submit">/);
    expect(html).toContain('alice&quot;&lt;x&gt;');
    noScriptOrStyle(html);
  });

  it('MUST group the key in fours for typing', () => {
    expect(groupedSecret('ABCDEFGHIJ')).toBe('ABCD EFGH IJ');
  });

  it('MUST list the recovery codes once, escaped', () => {
    const html = renderRecoveryCodesPage({ codes: ['aaaa-bbbb', '<x>'] });
    expect(html).toContain('<ol class="recovery-codes" id="recovery-codes">');
    expect(html).toContain('<li><code>aaaa-bbbb</code></li>');
    expect(html).toContain('<li><code>&lt;x&gt;</code></li>');
    noScriptOrStyle(html);
  });

  it('MUST show the status and the sign-in-required pages without forms', () => {
    const status = renderMfaStatusPage({ username: 'bob', enabledAt: '2030-01-01T00:00:00Z', remainingCodes: 7 });
    expect(status).toContain('<span id="recovery-remaining">7</span>');
    expect(status).not.toContain('<form');
    expect(renderSignInRequiredPage()).toContain('id="sign-in-required"');
  });
});
