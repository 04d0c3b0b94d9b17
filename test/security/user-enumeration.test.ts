/**
 * Black-box: the login page must not tell whether a username exists, by its answer or by its timing,
 * and neither must its throttling.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 6.3.8: no user enumeration through responses or timing)
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#authentication-and-error-messages
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { registerClient, registerUser } from '../support/browser-flow.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { LoginClient, median, TRUST_LOOPBACK, type LoginResult } from './login-client.js';

/** The page with the echoed username blanked: everything else must be byte-identical. */
const normalised = (result: LoginResult, username: string) => result.text.split(`value="${username}"`).join('value="…"');

describe(`OWASP ASVS 5.0 6.3.8 no user enumeration at the login page (${backendName})`, () => {
  let ctx: TestContext;
  let client: ClientRecord;
  let user: UserRecord;

  beforeAll(async () => {
    // Budgets out of the way: this suite measures the password check itself.
    ctx = await createTestContext({ ...TRUST_LOOPBACK, loginMaxAttemptsPerUserIp: 10_000, loginMaxAttemptsPerUser: 10_000, loginMaxAttemptsPerIp: 10_000 });
    client = await registerClient(ctx);
    ({ user } = await registerUser(ctx));
  });
  afterAll(() => ctx.close());

  it('MUST answer a wrong password and an unknown username with the same status, headers and body', async () => {
    const browser = await new LoginClient(ctx, client, '192.0.2.10').open();
    const unknownName = `${user.username.slice(0, -1)}x`;
    const wrong = await browser.login(user.username, 'not the right password');
    const unknown = await browser.login(unknownName, 'not the right password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(wrong.status);
    expect(wrong.setCookie).toEqual([]);
    expect(unknown.setCookie).toEqual([]);
    expect(normalised(unknown, unknownName)).toBe(normalised(wrong, user.username));
    expect(wrong.text).toContain('The username or password is incorrect.');
  });

  it('MUST take comparable time for an unknown username and a wrong password (median of 15 each within 0.5x-2x)', async () => {
    const browser = await new LoginClient(ctx, client, '192.0.2.11').open();
    // Warm up both paths (the dummy hash for unknown users is computed once per process).
    await browser.login('warm-up-unknown-user', 'whatever password');
    await browser.login(user.username, 'whatever password');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 15; i += 1) {
      // Interleaved, so drift in machine load affects both series alike.
      known.push((await browser.login(user.username, `wrong password ${i}`)).ms);
      unknown.push((await browser.login(`nobody-${i}-here`, `wrong password ${i}`)).ms);
    }
    const ratio = median(unknown) / median(known);
    expect(ratio, `median unknown ${median(unknown).toFixed(1)} ms / known ${median(known).toFixed(1)} ms`).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    // Both paths really ran argon2id (tens of milliseconds), not a shortcut.
    expect(median(unknown)).toBeGreaterThan(5);
  });

  it('MUST audit a failure without the password or the typed username', async () => {
    const browser = await new LoginClient(ctx, client, '192.0.2.12').open();
    await browser.login(user.username, 'secret-looking-wrong-password');
    await browser.login('typed-username-that-does-not-exist', 'secret-looking-wrong-password');
    const events = await ctx.stores.audit.list({ type: 'login.failed', limit: 2 });
    expect(events.map((e) => e.userId)).toEqual([null, user.id]);
    expect(events.every((e) => e.ip === '192.0.2.12')).toBe(true);
    const everything = JSON.stringify(await ctx.stores.audit.list({ limit: 1000 }));
    expect(everything).not.toContain('secret-looking-wrong-password');
    expect(everything).not.toContain('typed-username-that-does-not-exist');
  });
});

describe(`throttling does not reveal which usernames exist (${backendName})`, () => {
  let ctx: TestContext;
  let client: ClientRecord;
  let user: UserRecord;

  beforeAll(async () => {
    ctx = await createTestContext({ ...TRUST_LOOPBACK, loginMaxAttemptsPerUserIp: 3 });
    client = await registerClient(ctx);
    ({ user } = await registerUser(ctx));
  });
  afterAll(() => ctx.close());

  it('MUST throttle an unknown username exactly like a known one: same statuses, Retry-After and page', async () => {
    const browser = await new LoginClient(ctx, client, '192.0.2.20').open();
    const unknownName = 'no-such-user-anywhere';
    const series = async (username: string) => {
      const results: LoginResult[] = [];
      for (let i = 0; i < 4; i += 1) results.push(await browser.login(username, 'wrong password here'));
      return results;
    };
    const knownSeries = await series(user.username);
    const unknownSeries = await series(unknownName);
    expect(knownSeries.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(unknownSeries.map((r) => r.status)).toEqual(knownSeries.map((r) => r.status));
    expect(unknownSeries[3].retryAfter).toBe(knownSeries[3].retryAfter);
    expect(normalised(unknownSeries[3], unknownName)).toBe(normalised(knownSeries[3], user.username));
    expect(knownSeries[3].text).toMatch(/Too many sign-in attempts\. Wait 1 second and try again\./);
  });
});
