/**
 * The code flow in real headless Chromium: sign in, consent, land on the client's redirect URI with
 * a code, with no Content-Security-Policy violation on the way.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';

describe.runIf(chromiumAvailable)('code flow in headless Chromium', () => {
  let rig: RunningServer;
  let browser: Browser;
  let rp: Server;
  let redirectUri: string;

  beforeAll(async () => {
    rig = await startTestServer();
    // A tiny relying party so the browser really lands on the redirect URI.
    rp = createServer((_req, res) => res.end('<!doctype html><title>RP</title><p id="landed">callback reached</p>'));
    await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/callback`;
    await createClient(rig.ctx, { client_id: 'browser-app', client_secret: 'browser-app-secret-that-is-long-enough', redirect_uris: [redirectUri], require_pkce: false });
    await createUser(rig.ctx, { username: 'carol', password: 'chromium passphrase 1' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rp?.close();
    await rig?.close();
  });

  it('signs in, consents and lands on the redirect URI with a code and the issuer', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    const url = `${rig.issuer}/authorize?client_id=browser-app&response_type=code&scope=openid%20profile&state=xyz&nonce=n1&redirect_uri=${encodeURIComponent(redirectUri)}`;
    await page.goto(url);
    await page.fill('input[name="username"]', 'carol');
    await page.fill('input[name="password"]', 'chromium passphrase 1');
    await page.click('#login-submit');
    await page.waitForSelector('#approve');
    await page.click('#approve');
    await page.waitForSelector('#landed');
    const landed = new URL(page.url());
    expect(landed.origin + landed.pathname).toBe(redirectUri);
    expect(landed.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(landed.searchParams.get('state')).toBe('xyz');
    expect(landed.searchParams.get('iss')).toBe(rig.issuer);
    expect(violations).toEqual([]);
  });
});
