/**
 * Collects the Content-Security-Policy violations of every document a Chromium page loads: the
 * `securitypolicyviolation` events (reported through a binding, which the CSP does not govern) and
 * Chromium's console and Log-domain messages about the policy.
 * @spec https://www.w3.org/TR/CSP3/#violation-events
 */
import type { BrowserContext, Page } from 'playwright-core';

const CSP_TEXT = /Content.Security.Policy|Refused to (apply|execute|load|connect|frame|evaluate|create)/i;

export async function watchCsp(context: BrowserContext, page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.exposeBinding('__cspViolation', (_source, report: string) => violations.push(report));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __cspViolation(report: string): void }).__cspViolation(
        `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} in ${event.documentURI}`,
      );
    });
  });
  page.on('console', (message) => {
    if (CSP_TEXT.test(message.text())) violations.push(message.text());
  });
  const cdp = await context.newCDPSession(page);
  cdp.on('Log.entryAdded', ({ entry }) => {
    if (CSP_TEXT.test(entry.text)) violations.push(entry.text);
  });
  await cdp.send('Log.enable');
  return violations;
}
