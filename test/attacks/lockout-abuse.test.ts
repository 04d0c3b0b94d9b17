/**
 * Attack family: turning brute-force protection against the victim (CWE-645, overly restrictive
 * account lockout; OWASP ASVS 5.0 6.3.1) and escaping it with parallel requests (CWE-307). The
 * attacker's failures must slow the attacker's addresses, never lock the owner out, and a burst
 * of concurrent guesses must not get more tries than a sequence would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../support/test-context.js';
import { attackRig, basic, LoginForm, USER, type AttackRig } from './attack-rig.js';

describe(`attack suite: lockout abuse (${backendName})`, () => {
  let rig: AttackRig;
  beforeAll(async () => {
    rig = await attackRig({
      trustedProxies: ['127.0.0.1', '::1'],
      loginMaxAttemptsPerUserIp: 3,
      loginMaxAttemptsPerUser: 6,
      loginMaxAttemptsPerIp: 10,
      rateLimitToken: { points: 5, duration: 60 },
      rateLimitSoftBan: { violations: 1000, duration: 60 },
      rateLimitHardBan: { violations: 2000, duration: 60 },
    });
  });
  afterAll(() => rig.close());

  const at = (ip: string) => LoginForm.open(rig, { 'x-forwarded-for': ip });
  const ownerSignsIn = async (ip: string) => {
    const owner = await (await at(ip)).attempt(USER.username, USER.password);
    expect(owner.status).toBe(303);
    expect(owner.setCookie.some((line) => line.startsWith('castellan_session='))).toBe(true);
  };

  it('MUST keep the owner able to sign in from elsewhere while one address hammers the account', async () => {
    const attacker = await at('198.51.100.1');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await attacker.attempt(USER.username, `guess ${i}`)).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses).toContain(429);
    await ownerSignsIn('203.0.113.1');
  });

  it('MUST NOT lock the account when many addresses exceed the per-username budget together', async () => {
    for (let n = 0; n < 8; n += 1) {
      const bot = await at(`198.18.0.${n + 1}`);
      await bot.attempt(USER.username, `bot ${n} a`);
      await bot.attempt(USER.username, `bot ${n} b`);
    }
    await ownerSignsIn('203.0.113.2');
  });

  // Brute-force limits raced with parallel requests (the pattern behind several lockout bypass
  // advisories): all guesses are sent at once, before any failure is recorded.
  it('MUST NOT check more passwords for a concurrent burst than for a sequence', async () => {
    const forms = await Promise.all(Array.from({ length: 12 }, () => at('198.51.100.7')));
    const results = await Promise.all(forms.map((form, i) => form.attempt(USER.username, `parallel guess ${i}`)));
    const checked = results.filter((r) => r.status === 401).length;
    expect(checked).toBeLessThanOrEqual(4);
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(8);
    await ownerSignsIn('203.0.113.3');
  });

  it('MUST NOT let credential stuffing from one address (many usernames) shut the owner out', async () => {
    const stuffer = await at('198.51.100.9');
    for (let i = 0; i < 12; i += 1) await stuffer.attempt(`user-${i}@example.com`, 'Password1!');
    expect((await stuffer.attempt('user-99@example.com', 'Password1!')).status).toBe(429);
    await ownerSignsIn('203.0.113.4');
  });

  // The token endpoint limit is per address and client: an attacker failing as "web" from one
  // address must not deny "web" its tokens from its own address.
  it('MUST NOT let failed client authentication from one address deny the client service elsewhere', async () => {
    const asWeb = (ip: string, secret?: string) => rig.post('/token', { grant_type: 'client_credentials' }, { 'x-forwarded-for': ip, authorization: basic('web', secret) });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await asWeb('198.51.100.66', `wrong-secret-${i}-0123456789abcdef`)).status);
    expect(statuses).toContain(429);
    // web is not registered for client_credentials: authenticated, then refused as unauthorized_client (not 401 or 429).
    const legitimate = await asWeb('203.0.113.66');
    expect(legitimate.status).toBe(400);
    expect(((await legitimate.json()) as { error: string }).error).toBe('unauthorized_client');
  });
});
