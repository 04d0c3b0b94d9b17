/**
 * The device flow end to end with real clients: openid-client plays the device
 * (initiateDeviceAuthorization, pollDeviceAuthorizationGrant, validating the ID token), headless
 * Chromium plays the user (verification_uri_complete, sign in, approve), with no CSP violation.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3
 */
import type { Browser, BrowserContext } from 'playwright-core';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/clients/client-metadata.js';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';

describe.runIf(chromiumAvailable)(`device flow with openid-client and Chromium (${backendName})`, () => {
  let rig: RunningServer;
  let browser: Browser;
  /** One browser profile for both tests: its session cookie carries over. */
  let profile: BrowserContext;
  let config: client.Configuration;

  beforeAll(async () => {
    rig = await startTestServer({ devicePollInterval: 1 });
    await createClient(rig.ctx, { client_id: 'tv-e2e', client_name: 'Kitchen Display', token_endpoint_auth_method: 'none', grant_types: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'] });
    await createUser(rig.ctx, { username: 'dora', password: 'device flow passphrase 1', claims: { name: 'Dora' } });
    config = await client.discovery(new URL(rig.issuer), 'tv-e2e', undefined, client.None(), { execute: [client.allowInsecureRequests] });
    browser = await launchChromium();
    profile = await browser.newContext();
  });
  afterAll(async () => {
    await browser?.close();
    await rig?.close();
  });

  it('the device gets tokens (ID token validated by openid-client) after the user approves in the browser', async () => {
    const response = await client.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
    expect(response.verification_uri).toBe(`${rig.issuer}/device`);
    const polling = client.pollDeviceAuthorizationGrant(config, response);

    const page = await profile.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(response.verification_uri_complete!);
    expect(await page.inputValue('input[name="user_code"]')).toBe(response.user_code);
    await page.click('#device-submit');
    await page.fill('input[name="username"]', 'dora');
    await page.fill('input[name="password"]', 'device flow passphrase 1');
    await page.click('#login-submit');
    await page.waitForSelector('#device-warning');
    expect(await page.textContent('#client-name')).toBe('Kitchen Display');
    await page.click('#approve');
    await page.waitForSelector('#device-done');
    expect(await page.getAttribute('#device-done', 'data-outcome')).toBe('approved');

    const tokens = await polling;
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(rig.issuer);
    expect(claims.aud).toBe('tv-e2e');
    expect(typeof claims.auth_time).toBe('number');
    expect(claims.amr).toEqual(['pwd']);
    expect(tokens.refresh_token).toBeTruthy();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: claims.sub, name: 'Dora' });
    expect(violations).toEqual([]);
  }, 60_000);

  it('the device is told access_denied when the user denies', async () => {
    const response = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const polling = client.pollDeviceAuthorizationGrant(config, response).then(() => 'issued', (error: { error?: string }) => error.error);
    const page = await profile.newPage();
    await page.goto(response.verification_uri_complete!);
    await page.click('#device-submit');
    // Still signed in from the first test: straight to the device consent step.
    await page.waitForSelector('#deny');
    await page.click('#deny');
    await page.waitForSelector('#device-done');
    expect(await polling).toBe('access_denied');
  }, 60_000);
});
