/**
 * The second step of a login for users enrolled in MFA: after the password, the interaction holds a
 * pending challenge (no session exists yet); a TOTP code or a recovery code passes it once.
 * Attempts are throttled per user with growing delays, and audited without the code.
 * @spec https://www.rfc-editor.org/rfc/rfc6238#section-5.2
 * @spec https://www.rfc-editor.org/rfc/rfc8176#section-2 (amr: pwd, otp)
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 6.3.1 throttling, 6.5.1 single use)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { mfaScopes, throttled, type AttemptContext, type Checked } from '../security/login-attempt.js';
import type { Context } from '../server/context.js';
import type { UserRecord } from '../storage/stores.js';
import { useRecoveryCode } from './recovery-codes.js';
import { verifyTotp } from './totp.js';

export type MfaMethod = 'otp' | 'recovery_code';

export interface MfaInput {
  otp?: string;
  recoveryCode?: string;
}

/** Opens (or renews) the MFA step of an interaction whose password step the user just passed. */
export async function openMfaChallenge(ctx: Context, uidHash: string, userId: string, expiresAt: number): Promise<void> {
  await ctx.stores.mfaChallenges.put({ uidHash, userId, createdAt: ctx.clock(), expiresAt });
}

/** The user whose MFA step this interaction is waiting for, if it is. */
export async function pendingMfaUser(ctx: Context, uidHash: string): Promise<UserRecord | undefined> {
  const challenge = await ctx.stores.mfaChallenges.find(uidHash);
  if (!challenge || challenge.expiresAt <= ctx.clock()) return undefined;
  return ctx.stores.users.findById(challenge.userId);
}

/**
 * Checks a code and, when it passes, closes the challenge, in one transaction with the replay guard
 * (TOTP step or recovery code use) and the audit events.
 */
export async function attemptMfa(ctx: Context, who: AttemptContext, user: UserRecord, uidHash: string, input: MfaInput): Promise<Checked<MfaMethod>> {
  const scopes = await mfaScopes(ctx, user);
  return throttled(ctx, scopes, { ...who, failedEvent: 'mfa.failed' }, async () => {
    const method = await ctx.stores.transaction(async (tx): Promise<MfaMethod | undefined> => {
      const record = await ctx.stores.mfa.find(user.id, tx);
      if (!record) return undefined;
      let used: MfaMethod | undefined;
      if (input.otp !== undefined) used = (await verifyTotp(ctx, record, input.otp, tx)) ? 'otp' : undefined;
      else if (input.recoveryCode !== undefined) used = (await useRecoveryCode(ctx, user.id, input.recoveryCode, tx)) ? 'recovery_code' : undefined;
      if (!used) return undefined;
      // Rolls back the code's use too: a replayed form must not burn a code or a step.
      if (!(await ctx.stores.mfaChallenges.take(uidHash, tx))) throw new OAuthError('invalid_request', 'This sign-in step was already completed', { requirement: 'RFC6749-10.12-2' });
      const now = ctx.clock();
      const event = { clientId: who.clientId, userId: user.id, ip: who.ip, userAgent: who.userAgent ?? null };
      if (used === 'recovery_code') {
        const remaining = await ctx.stores.recoveryCodes.countUnused(user.id, tx);
        await ctx.stores.audit.record({ ...event, type: 'mfa.recovery_code_used', details: { remaining } }, now, tx);
      }
      await ctx.stores.audit.record({ ...event, type: 'mfa.succeeded', details: { method: used } }, now, tx);
      return used;
    });
    return { value: method, userId: user.id };
  });
}
