/** Enrols a user in TOTP through the service (as the account page does) and makes codes for them. */
import type { Context } from '../../src/server/context.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { confirmEnrollment, offerEnrollment } from '../../src/mfa/enrollment.js';
import { totpCode } from '../../src/mfa/totp.js';

export interface Enrolled {
  secret: string;
  recoveryCodes: string[];
}

export async function enrollUser(ctx: Context, user: UserRecord): Promise<Enrolled> {
  const { secret } = await offerEnrollment(ctx, user);
  const result = await confirmEnrollment(ctx, user, secret, await totpCode(secret, ctx.clock()), '127.0.0.1');
  if (result.kind !== 'enrolled') throw new Error(`enrolment failed: ${result.kind}`);
  return { secret, recoveryCodes: result.recoveryCodes };
}

/**
 * A code for a time step not used yet: the clock moves on one step first, since the step the
 * previous code belonged to can never be accepted again.
 */
export async function nextCode(ctx: Context & { clock: { advance(seconds: number): void } }, secret: string): Promise<string> {
  ctx.clock.advance(30);
  return totpCode(secret, ctx.clock());
}
