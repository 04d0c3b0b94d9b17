/**
 * Whole flows with TOTP MFA through the real pages: enrolment at /account/mfa, the MFA step between
 * password and consent, recovery codes, replay refusal, step-up for acr_values, and amr/acr in the
 * ID token.
 * @spec https://www.rfc-editor.org/rfc/rfc6238#section-5.2
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#IDToken (acr, amr)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (acr_values)
 * @spec https://www.rfc-editor.org/rfc/rfc8176#section-2
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MFA, ACR_PASSWORD } from '../../src/oidc-core/session.js';
import { createApp } from '../../src/server/app.js';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { totpCode } from '../../src/mfa/totp.js';
import {
  authorizeUrl, browser, csrfOf, defaultParams, pathOf, pkcePair, REDIRECT_URI, registerUser, submitLogin, type Agent,
} from '../support/browser-flow.js';
import { backendName, createTestContextWithClient, type TestContext } from '../support/test-context.js';
import { enrollUser, nextCode } from '../mfa/mfa-fixtures.js';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

describe(`login with TOTP MFA (${backendName})`, () => {
  let ctx: TestContext;
  let client: ClientRecord;

  beforeAll(async () => {
    ({ ctx, client } = await createTestContextWithClient());
  });
  afterAll(() => ctx.close());

  /** Runs /authorize with a fresh PKCE pair through `steps`, then exchanges the code; returns the ID token's claims. */
  async function idTokenAfter(agent: Agent, params: Record<string, string>, steps: (location: string) => Promise<string>) {
    const pkce = pkcePair();
    const start = await agent.get(authorizeUrl(defaultParams(client, { code_challenge: pkce.challenge, ...params }))).expect(303);
    const final = new URL(await steps(start.headers.location as string));
    expect(final.origin + final.pathname).toBe(REDIRECT_URI);
    const code = final.searchParams.get('code');
    expect(code, final.toString()).toBeTruthy();
    const token = await request(createApp(ctx)).post('/token').type('form')
      .send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: client.clientId, code_verifier: pkce.verifier }).expect(200);
    return claimsOf(token.body.id_token as string);
  }

  /** Password then MFA code through the pages; returns where the MFA step sent the browser. */
  async function passwordThenCode(agent: Agent, location: string, user: UserRecord, password: string, form: Record<string, string>) {
    const login = await submitLogin(agent, pathOf(location), user.username, password);
    expect(login.status).toBe(303);
    expect(pathOf(login.headers.location as string)).toMatch(/\/interaction\/[A-Za-z0-9_-]{43}\/mfa$/);
    const mfaPath = pathOf(login.headers.location as string);
    const page = await agent.get(mfaPath).expect(200);
    const res = await agent.post(mfaPath).type('form').send({ csrf: csrfOf(page.text), ...form });
    return Object.assign(res, { mfaPath });
  }

  it('MUST enrol at /account/mfa with a QR code and a first code, then require the code at every login (amr pwd+otp, acr mfa)', async () => {
    const { user, password } = await registerUser(ctx);
    const agent = browser(ctx);
    const before = await idTokenAfter(agent, {}, async (location) => {
      const login = await submitLogin(agent, pathOf(location), user.username, password);
      const consentPath = pathOf(login.headers.location as string);
      const consent = await agent.get(consentPath).expect(200);
      return (await agent.post(consentPath).type('form').send({ csrf: csrfOf(consent.text), decision: 'approve' }).expect(303)).headers.location as string;
    });
    expect(before).toMatchObject({ amr: ['pwd'], acr: ACR_PASSWORD });

    const page = await agent.get('/account/mfa').expect(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toMatch(/<img id="mfa-qr" src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
    const secret = /id="mfa-secret" class="secret">([A-Z2-7 ]+)</.exec(page.text)![1].replace(/ /g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const enrolled = await agent.post('/account/mfa').type('form')
      .send({ csrf: csrfOf(page.text), password, otp: await totpCode(secret, ctx.clock()) }).expect(200);
    const codes = [...enrolled.text.matchAll(/<li><code>([0-9a-z-]+)<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    // The secret is stored sealed (AES-256-GCM), never as it is.
    const row = await ctx.knex('user_mfa').where({ user_id: user.id }).first();
    expect(row.secret_encrypted).not.toContain(secret);
    expect(ctx.sealer.open(row.secret_encrypted)).toBe(secret);
    expect((await agent.get('/account/mfa').expect(200)).text).toContain('id="mfa-status"');

    // Step-up: this browser's session used a password alone; a request for MFA needs a new login.
    const stepUp = await agent.get(authorizeUrl(defaultParams(client, { acr_values: ACR_MFA }))).expect(303);
    expect(pathOf(stepUp.headers.location as string)).toMatch(/\/login$/);
    const silent = await agent.get(authorizeUrl(defaultParams(client, { acr_values: ACR_MFA, prompt: 'none' }))).expect(303);
    expect(new URL(silent.headers.location as string).searchParams.get('error')).toBe('login_required');

    const after = await idTokenAfter(agent, { prompt: 'login' }, async (location) => {
      const wrong = await passwordThenCode(agent, location, user, password, { otp: '000000' });
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain('The code is incorrect or was already used.');
      const mfaPath = wrong.mfaPath;
      const retry = await agent.post(mfaPath).type('form').send({ csrf: csrfOf(wrong.text), otp: await nextCode(ctx, secret) }).expect(303);
      return retry.headers.location as string;
    });
    expect(after).toMatchObject({ amr: ['pwd', 'otp'], acr: ACR_MFA });
    expect(after.auth_time).toBeGreaterThan(before.auth_time as number);
    // Now the session satisfies a request for MFA silently.
    const satisfied = await agent.get(authorizeUrl(defaultParams(client, { acr_values: ACR_MFA, prompt: 'none' }))).expect(303);
    expect(new URL(satisfied.headers.location as string).searchParams.get('code')).toBeTruthy();

    const events = (await ctx.stores.audit.list({ userId: user.id, limit: 50 })).map((e) => e.type);
    for (const type of ['mfa.enrolled', 'mfa.failed', 'mfa.succeeded', 'login.succeeded']) expect(events).toContain(type);
    const everything = JSON.stringify(await ctx.stores.audit.list({ userId: user.id, limit: 50 }));
    for (const code of codes) expect(everything).not.toContain(code);
    expect(everything).not.toContain(secret);
  });

  it('MUST ask for the password again before turning MFA on, and keep the offered secret across a mistake', async () => {
    const { user, password } = await registerUser(ctx);
    const agent = browser(ctx);
    const start = await agent.get(authorizeUrl(defaultParams(client))).expect(303);
    await authorizeFromLogin(agent, start.headers.location as string, user.username, password);
    const page = await agent.get('/account/mfa').expect(200);
    const secretOf = (html: string) => /id="mfa-secret" class="secret">([A-Z2-7 ]+)</.exec(html)![1].replace(/ /g, '');
    const secret = secretOf(page.text);
    const wrong = await agent.post('/account/mfa').type('form')
      .send({ csrf: csrfOf(page.text), password: 'not my password', otp: await totpCode(secret, ctx.clock()) }).expect(401);
    expect(wrong.text).toContain('The password is incorrect.');
    expect(secretOf(wrong.text)).toBe(secret);
    expect(await ctx.stores.mfa.find(user.id)).toBeUndefined();
    const badCode = await agent.post('/account/mfa').type('form').send({ csrf: csrfOf(wrong.text), password, otp: '000000' }).expect(400);
    expect(secretOf(badCode.text)).toBe(secret);
    await agent.post('/account/mfa').type('form').send({ csrf: csrfOf(badCode.text), password, otp: await totpCode(secret, ctx.clock()) }).expect(200);
    expect(ctx.sealer.open((await ctx.stores.mfa.find(user.id))!.secretEncrypted)).toBe(secret);
  });

  it('MUST NOT start a session or allow consent before the MFA step passes', async () => {
    const { user, password } = await registerUser(ctx);
    await enrollUser(ctx, user);
    const agent = browser(ctx);
    const start = await agent.get(authorizeUrl(defaultParams(client))).expect(303);
    const login = await submitLogin(agent, pathOf(start.headers.location as string), user.username, password);
    expect(login.status).toBe(303);
    expect((login.headers['set-cookie'] as unknown as string[] | undefined ?? []).some((c) => c.startsWith('castellan_session='))).toBe(false);
    const consentPath = pathOf(login.headers.location as string).replace(/mfa$/, 'consent');
    expect(pathOf((await agent.get(consentPath).expect(303)).headers.location as string)).toMatch(/\/login$/);
    expect((await agent.get('/account/mfa')).status).toBe(401);
  });

  it('MUST refuse a code already used (RFC 6238 §5.2), even in a later login', async () => {
    const { user, password } = await registerUser(ctx);
    const { secret } = await enrollUser(ctx, user);
    const code = await nextCode(ctx, secret);
    await authorizeOnceWithMfa(user, password, { otp: code }, 303);
    await authorizeOnceWithMfa(user, password, { otp: code }, 401);
    // An earlier step's code is refused too once a later one was accepted.
    await authorizeOnceWithMfa(user, password, { otp: await totpCode(secret, ctx.clock() - 30) }, 401);
  });

  it('MUST accept a code from one step before or after now, and no further', async () => {
    const { user, password } = await registerUser(ctx);
    const { secret } = await enrollUser(ctx, user);
    ctx.clock.advance(120);
    await authorizeOnceWithMfa(user, password, { otp: await totpCode(secret, ctx.clock() - 60) }, 401);
    await authorizeOnceWithMfa(user, password, { otp: await totpCode(secret, ctx.clock() - 30) }, 303);
    await authorizeOnceWithMfa(user, password, { otp: await totpCode(secret, ctx.clock() + 60) }, 401);
    await authorizeOnceWithMfa(user, password, { otp: await totpCode(secret, ctx.clock() + 30) }, 303);
  });

  it('MUST accept each recovery code once, and audit its use', async () => {
    const { user, password } = await registerUser(ctx);
    const { recoveryCodes } = await enrollUser(ctx, user);
    await authorizeOnceWithMfa(user, password, { recovery_code: recoveryCodes[3].toUpperCase() }, 303);
    await authorizeOnceWithMfa(user, password, { recovery_code: recoveryCodes[3] }, 401);
    expect(await ctx.stores.recoveryCodes.countUnused(user.id)).toBe(9);
    const used = await ctx.stores.audit.list({ type: 'mfa.recovery_code_used', userId: user.id });
    expect(used.map((e) => e.details)).toEqual([{ remaining: 9 }]);
  });

  it('MUST delay MFA attempts after five wrong codes for that user', async () => {
    const { user, password } = await registerUser(ctx);
    const { secret } = await enrollUser(ctx, user);
    const agent = browser(ctx);
    const start = await agent.get(authorizeUrl(defaultParams(client))).expect(303);
    const first = await passwordThenCode(agent, start.headers.location as string, user, password, { otp: '111111' });
    const { mfaPath } = first;
    let res: { status: number; text: string; headers: Record<string, string> } = first;
    const statuses = [res.status];
    for (let i = 0; i < 5; i += 1) {
      res = await agent.post(mfaPath).type('form').send({ csrf: csrfOf(res.text), otp: '111111' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Refused without being checked, the right code too.
    const blocked = await agent.post(mfaPath).type('form').send({ csrf: csrfOf(res.text), otp: await nextCode(ctx, secret) });
    expect(blocked.status).toBe(429);
    expect(await ctx.stores.audit.list({ type: 'login.locked', userId: user.id })).toEqual([expect.objectContaining({ details: { scope: 'mfa', delaySeconds: 1 } })]);
  });

  it('MUST send the browser back to the password when there is no pending MFA step', async () => {
    const agent = browser(ctx);
    const start = await agent.get(authorizeUrl(defaultParams(client))).expect(303);
    const mfaPath = pathOf(start.headers.location as string).replace(/login$/, 'mfa');
    expect(pathOf((await agent.get(mfaPath).expect(303)).headers.location as string)).toMatch(/\/login$/);
  });

  it('MUST report acr for a user without MFA as the password class, even when MFA was asked for', async () => {
    const { user, password } = await registerUser(ctx);
    const agent = browser(ctx);
    const claims = await idTokenAfter(agent, { acr_values: `${ACR_MFA} ${ACR_PASSWORD}` }, (location) => authorizeFromLogin(agent, location, user.username, password));
    expect(claims).toMatchObject({ acr: ACR_PASSWORD, amr: ['pwd'] });
  });

  it('MUST advertise acr_values_supported in discovery', async () => {
    const res = await request(createApp(ctx)).get('/.well-known/openid-configuration').expect(200);
    expect(res.body.acr_values_supported).toEqual([ACR_PASSWORD, ACR_MFA]);
  });

  /** Completes login (and consent) from a login page location; returns the final redirect. */
  async function authorizeFromLogin(agent: Agent, location: string, username: string, password: string): Promise<string> {
    const login = await submitLogin(agent, pathOf(location), username, password);
    let next = login.headers.location as string;
    if (next.endsWith('/consent')) {
      const consent = await agent.get(pathOf(next)).expect(200);
      next = (await agent.post(pathOf(next)).type('form').send({ csrf: csrfOf(consent.text), decision: 'approve' }).expect(303)).headers.location as string;
    }
    return next;
  }

  /** One fresh browser through password and MFA with `form`; asserts the MFA step's status. */
  async function authorizeOnceWithMfa(user: UserRecord, password: string, form: Record<string, string>, status: number): Promise<void> {
    const agent = browser(ctx);
    const start = await agent.get(authorizeUrl(defaultParams(client, { prompt: 'consent' }))).expect(303);
    const res = await passwordThenCode(agent, start.headers.location as string, user, password, form);
    expect(res.status, res.text.slice(0, 300)).toBe(status);
    if (status === 303) expect(pathOf(res.headers.location as string)).toMatch(/\/consent$/);
  }
});
