/**
 * The inspector's pages show what anyone may send (a client_id, parameters, token claims): every
 * value is escaped, and the pages carry no inline script or style (CSP).
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html
 */
import { describe, expect, it } from 'vitest';
import { renderReportCardPage, renderTokenDebuggerPage } from '../../src/inspector/debugger-pages.js';
import { reportCard } from '../../src/inspector/report-card.js';
import { explanationPath, renderClientsPage, renderClientTracesPage } from '../../src/inspector/trace-pages.js';
import type { RequestTrace } from '../../src/storage/request-trace-records.js';

const XSS = '<script>alert(1)</script>"\'';
const hostile: RequestTrace = {
  id: 7, clientId: XSS, at: 1_800_000_000, endpoint: 'authorization', method: 'GET', status: 400, durationMs: 1.5,
  params: { client_id: XSS, [XSS]: 'value', scope: 'openid' },
  masked: { id_token_hint: { length: 100, hint: 'abcdefabcdef', jwt: { header: { alg: XSS }, claims: { sub: XSS } } } },
  error: { code: 'invalid_request', description: XSS, requirement: 'RFC6749-3.1-1' },
  issued: [{ kind: 'access_token', format: 'jwt', hint: '0123456789ab', jwt: { header: { typ: 'at+jwt' }, claims: { scope: XSS } } }],
  redirect: 'https://rp.example/cb', redirectParams: { state: XSS },
};

describe('inspector pages', () => {
  it('escape every recorded value and carry no inline script or style', () => {
    const pages = [
      renderClientsPage([{ clientId: XSS, requests: 1, errors: 1, lastAt: 1_800_000_000 }]),
      renderClientTracesPage(XSS, [hostile], false),
      renderReportCardPage(XSS, reportCard([hostile])),
      renderTokenDebuggerPage('form-token', { format: 'jwt', jwt: { header: { kid: XSS }, claims: { iss: XSS } }, signature: 'unknown-key', kind: 'id_token', state: 'not-ours', reasons: [XSS] }),
    ];
    for (const page of pages) {
      expect(page).not.toContain('<script>');
      expect(page).not.toMatch(/\sstyle=|\son[a-z]+=/);
      expect(page).toContain('&lt;script&gt;');
    }
  });

  it('links an error to the explanation of its requirement, /errors/<code>/<requirement>', () => {
    expect(explanationPath({ code: 'invalid_grant', requirement: 'RFC7636-4.6-1' })).toBe('/errors/invalid_grant/RFC7636-4.6-1');
    expect(explanationPath({ code: 'invalid_grant' })).toBeUndefined();
    expect(renderClientTracesPage('app', [hostile], true)).toContain('<a class="explanation" href="/errors/invalid_request/RFC6749-3.1-1">why (RFC6749-3.1-1)</a>');
  });

  it('says when a client_id names no registered client, and shows a masked value only as length and hint', () => {
    const page = renderClientTracesPage('ghost', [hostile], false);
    expect(page).toContain('No registered client has this client_id');
    expect(page).toContain('masked (100 chars, #abcdefabcdef)');
  });
});
