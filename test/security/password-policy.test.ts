/**
 * The password policy: length in characters with a floor of 8, a generous maximum, no composition
 * rules, common passwords and the username refused; createUser and setPassword apply it.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 6.2.1, 6.2.4, 6.2.5, 6.2.9)
 */
import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import list from '../../src/security/common-passwords.json' with { type: 'json' };
import { enforcePasswordPolicy, isCommonPassword, passwordProblem } from '../../src/security/password-policy.js';
import { createUser, setPassword } from '../../src/users/user-service.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const policy = { minLength: 12 };

describe('OWASP ASVS 5.0 6.2 password policy', () => {
  it('MUST refuse passwords shorter than the minimum, counted in characters not bytes', () => {
    expect(passwordProblem('eleven char', policy)).toBe('password must be at least 12 characters');
    expect(passwordProblem('twelve chars', policy)).toBeUndefined();
    // Eleven code points but more than twelve UTF-16 units / UTF-8 bytes.
    expect(passwordProblem('ünïcödé 😀😀x', policy)).toBe('password must be at least 12 characters');
    expect(passwordProblem('ünïcödé 😀😀xy', policy)).toBeUndefined();
  });

  it('MUST never go below the ASVS floor of 8 whatever the setting says', () => {
    expect(passwordProblem('seven c', { minLength: 4 })).toBe('password must be at least 8 characters');
  });

  it('MUST allow long passphrases (64 and more) and any characters, with no composition rules', () => {
    expect(passwordProblem('a'.repeat(20) + ' lowercase only words here and there', policy)).toBeUndefined();
    expect(passwordProblem('x'.repeat(1024), policy)).toBeUndefined();
    expect(passwordProblem('x'.repeat(1025), policy)).toBe('password must be at most 1024 characters');
  });

  it('MUST refuse common passwords that the length rule would let through, whatever their case', () => {
    for (const common of ['1qaz2wsx3edc', 'Qwerty123456', 'PASSWORD1234']) {
      expect(isCommonPassword(common)).toBe(true);
      expect(passwordProblem(common, policy)).toMatch(/^password is too common/);
    }
    expect(passwordProblem('Password', { minLength: 8 })).toMatch(/^password is too common/);
  });

  it('MUST check against at least the 3,000 most common passwords that meet the default length', () => {
    const longEnough = list.passwords.filter((p) => [...p].length >= 12);
    expect(longEnough.length).toBeGreaterThanOrEqual(3000);
    expect(list.passwords.filter((p) => [...p].length >= 8).length).toBeGreaterThanOrEqual(10_000);
    expect(list.source).toMatch(/SecLists/);
    // Shipped in an Apache-2.0 project: a permissive licence, with its text in NOTICE.
    expect(list.licence).toMatch(/^MIT\b.*NOTICE/);
  });

  it('MUST refuse the username as the password', () => {
    expect(passwordProblem('Alice-Liddell-1852', { ...policy, username: 'alice-liddell-1852' })).toBe('password must not be the username');
  });

  it('MUST throw invalid_request with the reason', () => {
    expect(() => enforcePasswordPolicy('short', policy)).toThrow(expect.objectContaining({ code: 'invalid_request', description: 'password must be at least 12 characters' }));
    expect(() => enforcePasswordPolicy(undefined, policy)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('names the requirement of the check that refused the password, whatever its wording', () => {
    const requirementOf = (password: unknown, username?: string) => {
      try {
        enforcePasswordPolicy(password, { ...policy, username });
        return undefined;
      } catch (error) {
        return (error as { requirement?: string }).requirement;
      }
    };
    expect(requirementOf('short')).toBe('ASVS-6.2.1');
    expect(requirementOf('x'.repeat(1025))).toBe('ASVS-6.2.9');
    expect(requirementOf('password1234')).toBe('ASVS-6.2.4');
    expect(requirementOf('Alice-Liddell-1852', 'alice-liddell-1852')).toBe('ASVS-6.2.1');
    expect(requirementOf('a sound passphrase')).toBeUndefined();
  });
});

describe(`the policy where passwords are set (${backendName})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ passwordMinLength: 14 });
  });
  afterAll(() => ctx.close());

  it('MUST apply PASSWORD_MIN_LENGTH in createUser and store nothing when refused', async () => {
    await expect(createUser(ctx, { username: 'policy-a', password: 'only13 chars!' })).rejects.toMatchObject({ description: 'password must be at least 14 characters' });
    await expect(createUser(ctx, { username: 'policy-a', password: 'qwertyuiopasdfgh' })).rejects.toMatchObject({ description: expect.stringMatching(/too common/) });
    expect(await ctx.stores.users.findByUsername('policy-a')).toBeUndefined();
    expect(await createUser(ctx, { username: 'policy-a', password: 'fourteen chars' })).toMatchObject({ username: 'policy-a' });
  });

  it('MUST apply it in setPassword, and store the new argon2id hash with an audit event', async () => {
    const user = await createUser(ctx, { username: 'policy-b', password: 'a first passphrase' });
    await expect(setPassword(ctx, user.id, 'policy-b')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(setPassword(ctx, user.id, 'Policy-B')).rejects.toMatchObject({ code: 'invalid_request' });
    const updated = await setPassword(ctx, user.id, 'a second passphrase');
    expect(updated.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await argon2.verify((await ctx.stores.users.findById(user.id))!.passwordHash, 'a second passphrase')).toBe(true);
    expect(await ctx.stores.audit.list({ type: 'user.password_changed', userId: user.id })).toHaveLength(1);
  });
});
