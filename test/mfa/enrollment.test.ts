/**
 * Enrolment and reset: nothing stored until a first code proves the app holds the secret; then the
 * secret sealed (AES-256-GCM under the master key), recovery codes and the audit event together.
 * @spec https://www.rfc-editor.org/rfc/rfc6238#section-5.1 (protect the shared secret)
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 6.5.1, 6.5.3)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmEnrollment, mfaEnabled, offerEnrollment, resetMfa } from '../../src/mfa/enrollment.js';
import { totpCode } from '../../src/mfa/totp.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { backendName, createTestContextWithUser, type TestContext } from '../support/test-context.js';

describe(`TOTP enrolment (${backendName})`, () => {
  let ctx: TestContext;
  let user: UserRecord;

  beforeAll(async () => {
    ({ ctx, user } = await createTestContextWithUser({ mfaIssuerName: 'Castellan QA' }));
  });
  afterAll(() => ctx.close());

  it('MUST offer a secret with a PNG QR code of its otpauth URI, storing nothing yet', async () => {
    const offer = await offerEnrollment(ctx, user);
    expect(offer.qrDataUrl).toMatch(/^data:image\/png;base64,/);
    expect(Buffer.from(offer.qrDataUrl.split(',')[1], 'base64').subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(offer.uri).toContain(`otpauth://totp/Castellan%20QA:${encodeURIComponent(user.username)}?`);
    expect(offer.uri).toContain(`secret=${offer.secret}`);
    expect(await mfaEnabled(ctx, user.id)).toBe(false);
  });

  it('MUST refuse a wrong first code and store nothing', async () => {
    const { secret } = await offerEnrollment(ctx, user);
    expect(await confirmEnrollment(ctx, user, secret, '000000', null)).toEqual({ kind: 'invalid_code' });
    expect(await mfaEnabled(ctx, user.id)).toBe(false);
    expect(await ctx.stores.audit.list({ type: 'mfa.enrolled', userId: user.id })).toEqual([]);
  });

  it('MUST store the secret sealed, issue recovery codes and audit, all at once', async () => {
    const { secret } = await offerEnrollment(ctx, user);
    const issuedAt = ctx.clock();
    const result = await confirmEnrollment(ctx, user, secret, await totpCode(secret, issuedAt), '192.0.2.1');
    expect(result.kind).toBe('enrolled');
    const record = (await ctx.stores.mfa.find(user.id))!;
    expect(record.secretEncrypted).toMatch(/^v1\./);
    expect(record.secretEncrypted).not.toContain(secret);
    expect(ctx.sealer.open(record.secretEncrypted)).toBe(secret);
    // The confirming code's step counts as used.
    expect(record.lastUsedStep).toBe(Math.floor(issuedAt / 30));
    expect(await ctx.stores.recoveryCodes.countUnused(user.id)).toBe(10);
    const [event] = await ctx.stores.audit.list({ type: 'mfa.enrolled', userId: user.id });
    expect(event).toMatchObject({ ip: '192.0.2.1', details: { method: 'totp' } });
    expect(JSON.stringify(event)).not.toContain(secret);
  });

  it('MUST refuse a second enrolment while one exists', async () => {
    const { secret } = await offerEnrollment(ctx, user);
    expect(await confirmEnrollment(ctx, user, secret, await totpCode(secret, ctx.clock()), null)).toEqual({ kind: 'already_enrolled' });
    expect(ctx.sealer.open((await ctx.stores.mfa.find(user.id))!.secretEncrypted)).not.toBe(secret);
  });

  it('MUST remove the enrolment and every recovery code at a reset, audited', async () => {
    expect(await ctx.stores.transaction((tx) => resetMfa(ctx, user.id, tx))).toBe(true);
    expect(await mfaEnabled(ctx, user.id)).toBe(false);
    expect(await ctx.stores.recoveryCodes.countUnused(user.id)).toBe(0);
    expect(await ctx.stores.audit.list({ type: 'mfa.reset', userId: user.id })).toHaveLength(1);
    expect(await ctx.stores.transaction((tx) => resetMfa(ctx, user.id, tx))).toBe(false);
  });
});
