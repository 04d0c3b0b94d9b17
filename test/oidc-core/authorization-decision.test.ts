import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextStep, type AuthorizationProgress } from '../../src/oidc-core/authorization-decision.js';
import { ACR_MFA, ACR_PASSWORD } from '../../src/oidc-core/session.js';
import type { AuthorizationRequest } from '../../src/rfc6749-oauth2/authorization-request.js';
import type { ConsentRecord, SessionRecord, UserRecord } from '../../src/storage/stores.js';
import { registerUser } from '../support/browser-flow.js';
import { enrollUser } from '../mfa/mfa-fixtures.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`OIDC Core §3.1.2.3-§3.1.2.4 the next step of an authorization (${backendName})`, () => {
  let ctx: TestContext;
  let user: UserRecord;
  let enrolled: UserRecord;
  beforeAll(async () => {
    ctx = await createTestContext();
    user = (await registerUser(ctx)).user;
    enrolled = (await registerUser(ctx)).user;
    await enrollUser(ctx, enrolled);
  });
  afterAll(() => ctx.close());

  const request = (overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest => ({
    clientId: 'c', redirectUri: 'https://rp.example/cb', responseMode: 'query', state: null, scope: 'openid profile', nonce: null,
    codeChallenge: null, codeChallengeMethod: null, prompt: [], maxAge: null, loginHint: null, hintedSubject: null,
    uiLocale: null, claims: null, resource: null, acrValues: [], ...overrides,
  });
  const session = (overrides: Partial<SessionRecord> = {}): SessionRecord => ({
    idHash: 'h', userId: user.id, sid: 's', authTime: ctx.clock() - 100, acr: ACR_PASSWORD, amr: ['pwd'],
    createdAt: ctx.clock() - 100, lastSeenAt: ctx.clock(), idleExpiresAt: ctx.clock() + 600, absoluteExpiresAt: ctx.clock() + 3600, ...overrides,
  });
  const consent = (scope: string): ConsentRecord => ({ userId: user.id, clientId: 'c', scope, grantedAt: ctx.clock() });
  const decide = (progress: AuthorizationProgress) => nextStep(ctx, progress);

  it('MUST send a request without a usable session to the login page', async () => {
    expect(await decide({ request: request() })).toEqual({ step: 'login' });
    expect(await decide({ request: request({ prompt: ['login'] }), session: session(), consent: consent('openid profile') })).toEqual({ step: 'login' });
    expect(await decide({ request: request({ maxAge: 10 }), session: session() })).toEqual({ step: 'login' });
  });

  it('MUST answer prompt=none with login_required or consent_required instead of a page', async () => {
    await expect(decide({ request: request({ prompt: ['none'] }) })).rejects.toMatchObject({ code: 'login_required' });
    await expect(decide({ request: request({ prompt: ['none'] }), session: session(), consent: consent('openid') })).rejects.toMatchObject({ code: 'consent_required' });
  });

  it('MUST issue at once through a session whose remembered consent covers the scope', async () => {
    expect(await decide({ request: request(), session: session(), consent: consent('openid profile email') })).toEqual({ step: 'issue', scope: 'openid profile' });
  });

  it('MUST drop offline_access from a silent request whose consent lacks it (OIDC Core §11)', async () => {
    const silent = request({ prompt: ['none'], scope: 'openid offline_access' });
    expect(await decide({ request: silent, session: session(), consent: consent('openid') })).toEqual({ step: 'issue', scope: 'openid' });
  });

  it('MUST ask for consent when remembered consent does not cover the scope, or for prompt=consent', async () => {
    expect(await decide({ request: request(), session: session(), consent: consent('openid') })).toEqual({ step: 'consent' });
    expect(await decide({ request: request({ prompt: ['consent'] }), session: session(), consent: consent('openid profile') })).toEqual({ step: 'consent' });
  });

  it('MUST issue the requested scope once the user approved it on the consent page', async () => {
    const approved = { request: request({ prompt: ['consent'] }), session: session(), loggedIn: true, approved: true };
    expect(await decide(approved)).toEqual({ step: 'issue', scope: 'openid profile' });
  });

  it('MUST NOT ask for a login again once the interaction settled it, whatever prompt=login and max_age say', async () => {
    const fresh = { request: request({ prompt: ['login'], maxAge: 0 }), session: session(), loggedIn: true, consent: consent('openid profile') };
    expect(await decide(fresh)).toEqual({ step: 'issue', scope: 'openid profile' });
  });

  it('MUST ask for the second factor after the password of a user enrolled in MFA, and start the session otherwise', async () => {
    expect(await decide({ request: request(), passwordPassedBy: enrolled.id })).toEqual({ step: 'mfa' });
    expect(await decide({ request: request(), passwordPassedBy: user.id })).toEqual({ step: 'session' });
  });

  it('MUST step up a password-only session when the request asks for MFA and the user has it', async () => {
    const asksMfa = request({ acrValues: [ACR_MFA] });
    expect(await decide({ request: asksMfa, session: session({ userId: enrolled.id }), consent: consent('openid profile') })).toEqual({ step: 'login' });
    // A user without MFA gets the password class, which the ID token reports honestly.
    expect(await decide({ request: asksMfa, session: session(), consent: consent('openid profile') })).toEqual({ step: 'issue', scope: 'openid profile' });
  });
});
