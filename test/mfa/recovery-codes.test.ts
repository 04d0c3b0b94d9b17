/**
 * Recovery codes: ten per enrolment, 120 random bits each, stored as SHA-256 only, each usable once,
 * forgiving of case, spaces, dashes and look-alike letters.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V6.5: single-use lookup secrets, 112+ bits when hashed plainly)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueRecoveryCodes, normalizeRecoveryCode, RECOVERY_CODE_COUNT, useRecoveryCode } from '../../src/mfa/recovery-codes.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { registerUser } from '../support/browser-flow.js';
import { backendName, createTestContextWithUser, type TestContext } from '../support/test-context.js';

describe(`OWASP ASVS 5.0 V6.5 recovery codes (${backendName})`, () => {
  let ctx: TestContext;
  let user: UserRecord;

  beforeAll(async () => {
    ({ ctx, user } = await createTestContextWithUser());
  });
  afterAll(() => ctx.close());

  it('MUST issue ten distinct codes of 24 symbols (120 bits) and store only their hashes', async () => {
    const codes = await issueRecoveryCodes(ctx, user.id);
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){5}$/);
    const rows = await ctx.knex('recovery_codes').where({ user_id: user.id });
    expect(rows).toHaveLength(10);
    const stored = JSON.stringify(rows);
    for (const code of codes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(normalizeRecoveryCode(code));
    }
  });

  it('MUST accept each code once', async () => {
    const codes = await issueRecoveryCodes(ctx, user.id);
    expect(await useRecoveryCode(ctx, user.id, codes[0])).toBe(true);
    expect(await useRecoveryCode(ctx, user.id, codes[0])).toBe(false);
    expect(await useRecoveryCode(ctx, user.id, codes[1])).toBe(true);
    expect(await ctx.stores.recoveryCodes.countUnused(user.id)).toBe(8);
  });

  it('MUST let exactly one of two racing uses of a code pass', async () => {
    const [code] = await issueRecoveryCodes(ctx, user.id);
    const results = await Promise.all([useRecoveryCode(ctx, user.id, code), useRecoveryCode(ctx, user.id, code)]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('MUST ignore case, spaces and dashes, and read I, L as 1 and O as 0', async () => {
    const codes = await issueRecoveryCodes(ctx, user.id);
    const typed = codes[2].toUpperCase().replace(/-/g, ' ').replace(/1/g, 'l').replace(/0/g, 'O');
    expect(await useRecoveryCode(ctx, user.id, ` ${typed} `)).toBe(true);
  });

  it('MUST refuse codes of another user, replaced codes and malformed input', async () => {
    const other = (await registerUser(ctx)).user;
    const old = await issueRecoveryCodes(ctx, user.id);
    const otherCodes = await issueRecoveryCodes(ctx, other.id);
    expect(await useRecoveryCode(ctx, user.id, otherCodes[0])).toBe(false);
    await issueRecoveryCodes(ctx, user.id);
    expect(await useRecoveryCode(ctx, user.id, old[0])).toBe(false);
    for (const input of ['', 'abcd', 'x'.repeat(24), `${old[0]}0`]) expect(await useRecoveryCode(ctx, user.id, input)).toBe(false);
  });
});
