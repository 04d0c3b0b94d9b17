/**
 * Attack family: getting past the second factor with the password alone (CWE-287/CWE-288,
 * authentication bypass by an alternate path; OWASP ASVS 5.0 V6). After the password step no
 * session exists yet, so skipping to the consent page, forging its POST or asking silently must all
 * fail; a used TOTP code is refused (RFC 6238 §5.2) and guessing codes is throttled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/users/user-service.js';
import { totpCode } from '../../src/mfa/totp.js';
import { enrollUser, type Enrolled } from '../mfa/mfa-fixtures.js';
import { backendName } from '../support/test-context.js';
import { attackRig, LoginForm, SESSION_COOKIE, silentAuthorize, type AttackRig } from './attack-rig.js';

const MFA_USER = { username: 'erin-with-totp', password: 'erin has a long password' };

describe(`attack suite: MFA bypass (${backendName})`, () => {
  let rig: AttackRig;
  let enrolled: Enrolled;
  beforeAll(async () => {
    rig = await attackRig();
    enrolled = await enrollUser(rig.ctx, await createUser(rig.ctx, MFA_USER));
  });
  afterAll(() => rig.close());

  /** The password step done: the browser now stands at the MFA challenge, without a session. */
  const passwordOnly = async () => {
    const form = await LoginForm.open(rig, {}, { prompt: 'consent' });
    const result = await form.attempt(MFA_USER.username, MFA_USER.password);
    expect(result.status).toBe(303);
    expect(result.setCookie.some((line) => line.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    return form;
  };
  const stepUrl = (form: LoginForm, step: string) => `${rig.issuer}${form.path.replace(/\/login$/, `/${step}`)}`;
  const mfa = (form: LoginForm, otp: string) => rig.post(form.path.replace(/\/login$/, '/mfa'), { csrf: form.csrf, otp }, { cookie: form.cookie });

  it('MUST send a browser that skips from the password step to the consent page back to login', async () => {
    const form = await passwordOnly();
    const response = await fetch(stepUrl(form, 'consent'), { redirect: 'manual', headers: { cookie: form.cookie } });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/\/login$/);
  });

  it('MUST NOT issue a code for a consent POST forged after the password step', async () => {
    const form = await passwordOnly();
    const before = await rig.state();
    const response = await rig.post(form.path.replace(/\/login$/, '/consent'), { csrf: form.csrf, decision: 'approve' }, { cookie: form.cookie });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/\/login$/);
    expect(await rig.state()).toEqual(before);
  });

  it('MUST NOT treat the password step as a session for a silent request', async () => {
    const form = await passwordOnly();
    expect((await silentAuthorize(rig, form.cookie)).get('error')).toBe('login_required');
  });

  // RFC 6238 §5.2: the verifier MUST NOT accept the second attempt of the same OTP.
  it('MUST refuse a TOTP code that was already used', async () => {
    rig.ctx.clock.advance(30);
    const code = await totpCode(enrolled.secret, rig.ctx.clock());
    const first = await passwordOnly();
    expect((await mfa(first, code)).status).toBe(303);
    const second = await passwordOnly();
    const replay = await mfa(second, code);
    expect(replay.status).toBe(401);
    expect(replay.headers.getSetCookie().some((line) => line.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
  });

  // RFC 6238 §5.2 / CWE-307: six-digit codes fall to guessing unless attempts are limited.
  it('MUST throttle guessing of TOTP codes', async () => {
    const form = await passwordOnly();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) statuses.push((await mfa(form, String(100000 + i))).status);
    // The per-user budget (5 failures, the replayed code above included) then doubling delays.
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.slice(-3)).toEqual([429, 429, 429]);
  });
});
