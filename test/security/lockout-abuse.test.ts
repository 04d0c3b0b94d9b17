/**
 * Black-box: an attacker hammering a victim's username must be slowed without locking the victim
 * out. Per username+address: a few free failures, then doubling delays; per username: a soft limit
 * that slows every address (at most a minute) but lets an address that has not failed through at
 * once; per address: a limit across usernames against credential stuffing.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 6.3.1: brute force controls without lockout abuse)
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#account-lockout
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOFT_MAX_DELAY } from '../../src/security/login-attempt.js';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { registerClient, registerUser } from '../support/browser-flow.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { LoginClient, sleep, TRUST_LOOPBACK } from './login-client.js';

describe(`OWASP ASVS 5.0 6.3.1 throttling that cannot be turned against the victim (${backendName})`, () => {
  let ctx: TestContext;
  let client: ClientRecord;

  beforeAll(async () => {
    ctx = await createTestContext({ ...TRUST_LOOPBACK, loginMaxAttemptsPerUserIp: 5, loginMaxAttemptsPerUser: 12, loginMaxAttemptsPerIp: 30 });
    client = await registerClient(ctx);
  });
  afterAll(() => ctx.close());

  const at = (ip: string) => new LoginClient(ctx, client, ip).open();

  it('MUST delay one address after its free failures, with delays that grow', async () => {
    const { user } = await registerUser(ctx);
    const attacker = await at('198.51.100.1');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await attacker.login(user.username, `guess ${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const first = await attacker.login(user.username, 'guess 5');
    expect(first).toMatchObject({ status: 429, retryAfter: 1 });
    // A refused attempt checks no password: even the right one is not tried.
    expect(first.text).not.toContain('The username or password is incorrect.');
    await sleep(1100);
    expect((await attacker.login(user.username, 'guess 6')).status).toBe(401);
    expect(await attacker.login(user.username, 'guess 7')).toMatchObject({ status: 429, retryAfter: 2 });
    const locked = await ctx.stores.audit.list({ type: 'login.locked', userId: user.id });
    expect(locked.map((e) => e.details)).toEqual([{ scope: 'user-ip', delaySeconds: 1 }]);
  });

  it('MUST let the victim sign in from another address while the attacker is being delayed', async () => {
    const { user, password } = await registerUser(ctx);
    const attacker = await at('198.51.100.2');
    for (let i = 0; i < 5; i += 1) await attacker.login(user.username, `guess ${i}`);
    expect((await attacker.login(user.username, 'guess 5')).status).toBe(429);
    // The attacker's address is refused even with the right password (nothing is checked)...
    expect((await attacker.login(user.username, password)).status).toBe(429);
    // ...while the owner, elsewhere, signs in at once.
    const victim = await at('203.0.113.2');
    const ok = await victim.login(user.username, password);
    expect(ok.status).toBe(303);
    expect(ok.setCookie.some((c) => c.startsWith('castellan_session='))).toBe(true);
    expect(await ctx.stores.audit.list({ type: 'login.succeeded', userId: user.id })).toHaveLength(1);
  });

  it('MUST slow but never lock a username attacked from many addresses', async () => {
    const { user, password } = await registerUser(ctx);
    // A distributed attack: 20 addresses, 2 guesses each, 40 failures for the username (soft budget 12).
    for (let n = 0; n < 20; n += 1) {
      const bot = await at(`198.18.0.${n + 1}`);
      await bot.login(user.username, `bot guess ${n}a`);
      await bot.login(user.username, `bot guess ${n}b`);
    }
    // A bot address that failed once the username was over its budget must wait, but never longer than the soft cap
    // (28 failures past the budget would be 2^27 s on the per-address schedule).
    const bot = await at('198.18.0.20');
    const refused = await bot.login(user.username, 'another guess');
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBeLessThanOrEqual(SOFT_MAX_DELAY);
    expect(refused.retryAfter).toBeGreaterThan(SOFT_MAX_DELAY / 2);
    // An address that has not failed passes at once, and the owner signs in.
    const victim = await at('203.0.113.3');
    expect((await victim.login(user.username, password)).status).toBe(303);
    // Even a mistyped password from the owner's address costs at most the soft delay, then it works.
    const typo = await at('203.0.113.4');
    expect((await typo.login(user.username, 'typo in password')).status).toBe(401);
    const wait = await typo.login(user.username, password);
    expect(wait.status).toBe(429);
    expect(wait.retryAfter).toBeLessThanOrEqual(SOFT_MAX_DELAY);
    const softLocked = await ctx.stores.audit.list({ type: 'login.locked', userId: user.id });
    expect(softLocked.filter((e) => (e.details as { scope: string }).scope === 'user')).toHaveLength(1);
  });

  it('MUST clear the username+address count at a successful login', async () => {
    const { user, password } = await registerUser(ctx);
    const owner = await at('203.0.113.5');
    for (let i = 0; i < 4; i += 1) expect((await owner.login(user.username, `typo ${i}`)).status).toBe(401);
    expect((await owner.login(user.username, password)).status).toBe(303);
    const again = await at('203.0.113.5');
    for (let i = 0; i < 4; i += 1) expect((await again.login(user.username, `typo again ${i}`)).status).toBe(401);
  });

  it('MUST slow one address that tries many usernames (credential stuffing) and no other address', async () => {
    const { user, password } = await registerUser(ctx);
    const stuffer = await at('198.51.100.30');
    const statuses: number[] = [];
    for (let i = 0; i < 31; i += 1) statuses.push((await stuffer.login(`stuffed-user-${i}`, `leaked password ${i}`)).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
    // Any username from that address now waits; other addresses are untouched.
    expect((await stuffer.login(user.username, password)).status).toBe(429);
    expect((await (await at('203.0.113.30')).login(user.username, password)).status).toBe(303);
    const locked = await ctx.stores.audit.list({ type: 'login.locked' });
    expect(locked.some((e) => (e.details as { scope: string }).scope === 'ip' && e.ip === '198.51.100.30' && e.userId === null)).toBe(true);
  });

  it('MUST start a username afresh after an unlock (what castellan users unlock does)', async () => {
    const { user, password } = await registerUser(ctx);
    const attacker = await at('198.51.100.40');
    for (let i = 0; i < 6; i += 1) await attacker.login(user.username, `guess ${i}`);
    expect((await attacker.login(user.username, password)).status).toBe(429);
    await ctx.stores.loginResets.bump(user.username, ctx.clock());
    expect((await attacker.login(user.username, password)).status).toBe(303);
  });
});
