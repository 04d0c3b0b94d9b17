/**
 * The MFA and lockout stores on both backends: enrolments (one per user, replay guard by time step),
 * recovery codes (single use), pending MFA steps (taken once) and the unlock generations.
 * @spec https://www.rfc-editor.org/rfc/rfc6238#section-5.2
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/storage/stores.js';
import { backendName, createTestContextWithUser, type TestContext } from '../support/test-context.js';

describe(`MFA and lockout stores (${backendName})`, () => {
  let ctx: TestContext;
  let user: UserRecord;

  beforeAll(async () => {
    ({ ctx, user } = await createTestContextWithUser());
  });
  afterAll(() => ctx.close());

  it('keeps one enrolment per user and advances the last step only forwards', async () => {
    const { mfa } = ctx.stores;
    expect(await mfa.insert({ userId: user.id, secretEncrypted: 'v1.a.b.c', enabledAt: 100, lastUsedStep: null })).toBe(true);
    expect(await mfa.insert({ userId: user.id, secretEncrypted: 'v1.other', enabledAt: 200, lastUsedStep: null })).toBe(false);
    expect(await mfa.find(user.id)).toEqual({ userId: user.id, secretEncrypted: 'v1.a.b.c', enabledAt: 100, lastUsedStep: null });
    expect(await mfa.advanceStep(user.id, 50_000_000)).toBe(true);
    expect(await mfa.advanceStep(user.id, 50_000_000)).toBe(false);
    expect(await mfa.advanceStep(user.id, 49_999_999)).toBe(false);
    expect(await mfa.advanceStep(user.id, 50_000_001)).toBe(true);
    expect((await mfa.find(user.id))!.lastUsedStep).toBe(50_000_001);
    expect(await mfa.advanceStep('nobody', 1)).toBe(false);
    expect(await mfa.remove(user.id)).toBe(true);
    expect(await mfa.remove(user.id)).toBe(false);
  });

  it('replaces, consumes once and counts recovery codes per user', async () => {
    const { recoveryCodes } = ctx.stores;
    await recoveryCodes.replace(user.id, ['h1', 'h2', 'h3'], 10);
    expect(await recoveryCodes.countUnused(user.id)).toBe(3);
    expect(await recoveryCodes.consume(user.id, 'h2', 20)).toBe(true);
    expect(await recoveryCodes.consume(user.id, 'h2', 21)).toBe(false);
    expect(await recoveryCodes.consume('someone-else', 'h1', 21)).toBe(false);
    expect(await recoveryCodes.countUnused(user.id)).toBe(2);
    await recoveryCodes.replace(user.id, ['h4'], 30);
    expect(await recoveryCodes.consume(user.id, 'h1', 31)).toBe(false);
    expect(await recoveryCodes.countUnused(user.id)).toBe(1);
    expect(await recoveryCodes.removeAll(user.id)).toBe(1);
  });

  it('puts (replacing), finds and takes pending MFA steps once', async () => {
    const { mfaChallenges } = ctx.stores;
    await mfaChallenges.put({ uidHash: 'uid-1', userId: user.id, createdAt: 1, expiresAt: 100 });
    await mfaChallenges.put({ uidHash: 'uid-1', userId: user.id, createdAt: 2, expiresAt: 200 });
    expect(await mfaChallenges.find('uid-1')).toEqual({ uidHash: 'uid-1', userId: user.id, createdAt: 2, expiresAt: 200 });
    expect(await mfaChallenges.take('uid-1')).toBe(true);
    expect(await mfaChallenges.take('uid-1')).toBe(false);
    expect(await mfaChallenges.find('uid-1')).toBeUndefined();
  });

  it('starts unlock generations at 0 and bumps them per username', async () => {
    const { loginResets } = ctx.stores;
    expect(await loginResets.generation('alice')).toBe(0);
    expect(await loginResets.bump('alice', 10)).toBe(1);
    expect(await loginResets.bump('alice', 11)).toBe(2);
    expect(await loginResets.generation('alice')).toBe(2);
    expect(await loginResets.generation('Alice')).toBe(0);
  });

  it('rolls back with the transaction it was given', async () => {
    await expect(ctx.stores.transaction(async (tx) => {
      await ctx.stores.loginResets.bump('rolled-back', 5, tx);
      await ctx.stores.recoveryCodes.replace(user.id, ['r1'], 5, tx);
      throw new Error('abort');
    })).rejects.toThrow('abort');
    expect(await ctx.stores.loginResets.generation('rolled-back')).toBe(0);
    expect(await ctx.stores.recoveryCodes.countUnused(user.id)).toBe(0);
  });
});
