/**
 * The device pages' markup, RFC 8628 §3.3 and §5.4: escaped, script-free, stable selectors.
 */
import { describe, expect, it } from 'vitest';
import { renderCodeEntryPage, renderDeviceConsentPage, renderDeviceDonePage } from '../../src/rfc8628-device-authorization/verification-pages.js';

describe('RFC 8628 verification pages', () => {
  it('escapes what the user typed back into the code field', () => {
    const html = renderCodeEntryPage({ formToken: 't', userCode: '"><script>alert(1)</script>', error: 'x' });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&quot;&gt;&lt;script&gt;');
  });

  it('escapes a hostile client name and shows the warning before the buttons (§5.4)', () => {
    const html = renderDeviceConsentPage({ action: 'device', csrf: 'c', clientName: '<img src=x onerror=alert(1)>', username: 'u', scopes: ['openid', 'odd<scope>'], userCode: 'BCDF-GHJK' });
    expect(html).not.toMatch(/<img/);
    expect(html.indexOf('id="device-warning"')).toBeLessThan(html.indexOf('id="approve"'));
    expect(html).toContain('odd&lt;scope&gt;');
    expect(html).not.toMatch(/<script/i);
  });

  it('says which outcome the done page reports', () => {
    expect(renderDeviceDonePage(true)).toContain('data-outcome="approved"');
    expect(renderDeviceDonePage(false)).toContain('data-outcome="denied"');
  });
});
