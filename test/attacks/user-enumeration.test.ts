/**
 * Attack family: user enumeration through observable differences (CWE-204, CWE-203; OWASP ASVS 5.0
 * 6.3.8). The login page must answer a wrong password and an unknown username alike, in status,
 * body, headers and throttling, and nothing before the password check may depend on the username.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../support/test-context.js';
import { attackRig, LoginForm, USER, type AttackRig, type LoginResult } from './attack-rig.js';

const UNKNOWN = 'nobody-by-this-name';

/** The page with the echoed username and the per-interaction form token masked: what remains may depend only on existence. */
const masked = (result: LoginResult, username: string) =>
  result.text.split(`value="${username}"`).join('value="…"').replace(/name="csrf" value="[^"]+"/, 'name="csrf" value="…"');
const cookieNames = (result: LoginResult) => result.setCookie.map((line) => line.split('=')[0]).sort();

describe(`attack suite: user enumeration (${backendName})`, () => {
  let rig: AttackRig;
  beforeAll(async () => {
    // Trust the loopback peer so each case gets its own address through X-Forwarded-For.
    rig = await attackRig({ trustedProxies: ['127.0.0.1', '::1'], loginMaxAttemptsPerUserIp: 2 });
  });
  afterAll(() => rig.close());

  const at = (ip: string) => LoginForm.open(rig, { 'x-forwarded-for': ip });

  it('MUST answer an unknown username exactly like a wrong password (status, page, cookies)', async () => {
    const known = await (await at('198.51.100.10')).attempt(USER.username, 'wrong password guess');
    const unknown = await (await at('198.51.100.11')).attempt(UNKNOWN, 'wrong password guess');
    expect(known.status).toBe(401);
    expect(unknown.status).toBe(known.status);
    expect(masked(unknown, UNKNOWN)).toBe(masked(known, USER.username));
    expect(cookieNames(unknown)).toEqual(cookieNames(known));
  });

  // The throttle is an oracle too if it only counts usernames that exist.
  it('MUST throttle an unknown username exactly like a known one', async () => {
    const sequence = async (ip: string, username: string) => {
      const form = await at(ip);
      const results: LoginResult[] = [];
      for (let i = 0; i < 4; i += 1) results.push(await form.attempt(username, `guess ${i}`));
      return results;
    };
    const known = await sequence('198.51.100.20', USER.username);
    const unknown = await sequence('198.51.100.21', UNKNOWN);
    expect(known.map((r) => r.status)).toContain(429);
    expect(unknown.map((r) => r.status)).toEqual(known.map((r) => r.status));
    expect(unknown.map((r) => r.retryAfter)).toEqual(known.map((r) => r.retryAfter));
    expect(unknown.map((r) => masked(r, UNKNOWN))).toEqual(known.map((r) => masked(r, USER.username)));
  });

  // login_hint must not be looked up before the password is checked (no pre-filled "exists" signal).
  it('MUST render the same login page for a login_hint naming an existing and an unknown user', async () => {
    const page = async (hint: string) => {
      const start = await rig.authorize({ response_type: 'code', client_id: 'web', redirect_uri: 'https://rp.example/cb', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', login_hint: hint }, { 'x-forwarded-for': '198.51.100.30' });
      const cookie = start.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
      const response = await fetch(new URL(start.headers.get('location')!, rig.issuer), { headers: { cookie } });
      return { status: response.status, text: (await response.text()).split(hint).join('…').replace(/name="csrf" value="[^"]+"/, '') };
    };
    const known = await page(USER.username);
    const unknown = await page(UNKNOWN);
    expect(known.status).toBe(200);
    expect(unknown).toEqual(known);
  });

  // prompt=none with a login_hint: the silent answer must not depend on whether the user exists.
  it('MUST answer prompt=none with the same error for an existing and an unknown login_hint', async () => {
    const silent = async (hint: string) => {
      const response = await rig.authorize({ response_type: 'code', client_id: 'web', redirect_uri: 'https://rp.example/cb', scope: 'openid', state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', prompt: 'none', login_hint: hint });
      return new URL(response.headers.get('location')!).search;
    };
    const known = await silent(USER.username);
    expect(new URLSearchParams(known).get('error')).toBe('login_required');
    expect(await silent(UNKNOWN)).toBe(known);
  });
});
