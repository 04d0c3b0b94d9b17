/**
 * `castellan users unlock USERNAME` and `castellan users mfa reset USERNAME`: the administrator's side
 * of login throttling and MFA. Unlocking starts every failed-attempt count for the username afresh
 * (on every node: the reset lives in the database); resetting MFA removes the authenticator and the
 * recovery codes so the user signs in with the password alone and may enrol again.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V6.3, V6.4: recovery by an administrator)
 */
import type { Command } from 'commander';
import { resetMfa } from '../mfa/enrollment.js';
import type { Context } from '../server/context.js';
import type { Tx, UserRecord } from '../storage/stores.js';
import { CliError, withContext, type CliIo } from './output.js';

async function requireUser(ctx: Context, username: string, tx: Tx): Promise<UserRecord> {
  const user = await ctx.stores.users.findByUsername(username, tx);
  if (!user) throw new CliError(`user "${username}" not found`);
  return user;
}

export function registerUserSecurityCommands(users: Command, io: CliIo): void {
  users
    .command('unlock')
    .description('end the sign-in delays of a user: failed attempts counted for the username are forgotten')
    .argument('<username>')
    .action(async (username: string) => {
      await withContext(io, (ctx) => ctx.stores.transaction(async (tx) => {
        const user = await requireUser(ctx, username, tx);
        const now = ctx.clock();
        await ctx.stores.loginResets.bump(user.username, now, tx);
        await ctx.stores.audit.record({ type: 'user.unlocked', userId: user.id }, now, tx);
      }));
      io.stdout(`Unlocked ${username}: failed sign-in attempts for this username are forgotten.\n`);
    });

  const mfa = users.command('mfa').description('manage a user\'s two-step verification');
  mfa
    .command('reset')
    .description('remove the user\'s authenticator app and recovery codes (they sign in with the password and may enrol again)')
    .argument('<username>')
    .action(async (username: string) => {
      const removed = await withContext(io, (ctx) => ctx.stores.transaction(async (tx) => resetMfa(ctx, (await requireUser(ctx, username, tx)).id, tx)));
      io.stdout(removed ? `Reset two-step verification for ${username}.\n` : `${username} had no two-step verification; nothing to reset.\n`);
    });
}
