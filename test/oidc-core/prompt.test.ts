import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consentCovers, idTokenHintSubject, loginRequired, parseMaxAge, parsePrompt, withoutUnconsentedOfflineAccess,
} from '../../src/oidc-core/prompt.js';
import type { ConsentRecord, SessionRecord } from '../../src/storage/stores.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const NOW = 1_700_000_000;
const session = { userId: 'u1', authTime: NOW - 100 } as SessionRecord;
const consent = (scope: string) => ({ userId: 'u1', clientId: 'c', scope, grantedAt: NOW }) as ConsentRecord;
const inputs = (overrides: Partial<{ prompt: string[]; maxAge: number | null; hintedSubject: string | null }> = {}) => ({
  prompt: [], maxAge: null, hintedSubject: null, ...overrides,
});

describe('OIDC Core §3.1.2.1 prompt and max_age', () => {
  it('MUST reject prompt=none combined with another value', () => {
    expect(() => parsePrompt('none login')).toThrow(/none/);
    expect(parsePrompt('none')).toEqual(['none']);
    expect(parsePrompt('login consent')).toEqual(['login', 'consent']);
    expect(parsePrompt('create login')).toEqual(['login']);
    expect(parsePrompt(undefined)).toEqual([]);
  });

  it('MUST parse max_age as a non-negative integer', () => {
    expect(parseMaxAge('0')).toBe(0);
    expect(parseMaxAge('3600')).toBe(3600);
    expect(parseMaxAge(undefined)).toBeNull();
    expect(() => parseMaxAge('99999999999999999999')).toThrow();
  });

  it('MUST require login without a session, with prompt=login, or with max_age=0', () => {
    expect(loginRequired(inputs(), undefined, NOW)).toBe(true);
    expect(loginRequired(inputs(), session, NOW)).toBe(false);
    expect(loginRequired(inputs({ prompt: ['login'] }), session, NOW)).toBe(true);
    expect(loginRequired(inputs({ maxAge: 0 }), { ...session, authTime: NOW }, NOW)).toBe(true);
  });

  it('MUST re-authenticate when the elapsed time is greater than max_age', () => {
    expect(loginRequired(inputs({ maxAge: 100 }), session, NOW)).toBe(false);
    expect(loginRequired(inputs({ maxAge: 99 }), session, NOW)).toBe(true);
  });

  it('MUST require login when id_token_hint names another user', () => {
    expect(loginRequired(inputs({ hintedSubject: 'u1' }), session, NOW)).toBe(false);
    expect(loginRequired(inputs({ hintedSubject: 'u2' }), session, NOW)).toBe(true);
  });

  it('MUST treat consent as covering only when every scope value was granted', () => {
    expect(consentCovers(undefined, 'openid')).toBe(false);
    expect(consentCovers(consent('openid profile email'), 'openid email')).toBe(true);
    expect(consentCovers(consent('openid'), 'openid email')).toBe(false);
  });

  it('MUST drop offline_access from a silent request unless consent covers it (OIDC Core §11)', () => {
    expect(withoutUnconsentedOfflineAccess('openid offline_access', consent('openid'))).toBe('openid');
    expect(withoutUnconsentedOfflineAccess('openid offline_access', consent('openid offline_access'))).toBe('openid offline_access');
    expect(withoutUnconsentedOfflineAccess('openid', undefined)).toBe('openid');
  });
});

describe(`OIDC Core §3.1.2.1 id_token_hint (${backendName})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('MUST accept an ID token this server signed, even when expired, and return its sub', async () => {
    const token = await ctx.keystore.sign({ iss: ctx.config.issuer, sub: 'user-1', aud: 'c', iat: 1, exp: 2 }, { alg: 'RS256' });
    expect(await idTokenHintSubject(ctx, token)).toBe('user-1');
    expect(await idTokenHintSubject(ctx, undefined)).toBeNull();
  });

  it('MUST reject a token of another issuer, a JWT access token, or garbage with invalid_request', async () => {
    const foreign = await ctx.keystore.sign({ iss: 'https://other.example', sub: 'user-1' }, { alg: 'ES256' });
    const accessToken = await ctx.keystore.sign({ iss: ctx.config.issuer, sub: 'user-1' }, { alg: 'RS256', typ: 'at+jwt' });
    for (const hint of [foreign, accessToken, 'not.a.jwt', `${foreign.slice(0, -4)}AAAA`]) {
      await expect(idTokenHintSubject(ctx, hint)).rejects.toMatchObject({ code: 'invalid_request' });
    }
  });
});
