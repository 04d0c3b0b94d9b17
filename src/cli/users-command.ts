/**
 * `castellan users add|list|remove` (and unlock, mfa reset: users-security-command.ts): manage end users. Passwords come from --password or stdin and
 * are stored as argon2id hashes, which no command ever prints. Removing a user revokes their grants.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
 */
import type { Command } from 'commander';
import { validateClaims } from '../seed/seed-file.js';
import type { UserRecord } from '../storage/stores.js';
import { createUser } from '../users/user-service.js';
import { isoTime } from '../server/context.js';
import { CliError, collect, printJson, printTable, readJsonFile, withContext, type CliIo } from './output.js';
import { registerUserPrivacyCommands } from './users-privacy-command.js';
import { registerUserSecurityCommands } from './users-security-command.js';

interface AddOptions {
  password?: string;
  passwordStdin?: boolean;
  claims?: string;
  claim?: string[];
  json?: boolean;
}

const BOOLEAN_CLAIMS = ['email_verified', 'phone_number_verified'];

/** The public view of a user: never the password hash. */
export function userView(user: UserRecord): Record<string, unknown> {
  return { id: user.id, username: user.username, claims: user.claims, created_at: user.createdAt, updated_at: user.updatedAt };
}

/** `name=value` on the command line is text; a few standard claims have other JSON types. */
function claimValue(name: string, value: string): unknown {
  if (BOOLEAN_CLAIMS.includes(name) && (value === 'true' || value === 'false')) return value === 'true';
  if (name === 'updated_at' && /^\d+$/.test(value)) return Number(value);
  if (name === 'address') {
    try {
      return JSON.parse(value);
    } catch {
      throw new CliError('--claim address=... must be a JSON object, e.g. address=\'{"country":"NL"}\'');
    }
  }
  return value;
}

function claimsInput(options: AddOptions): Record<string, unknown> {
  const fromFile = options.claims ? readJsonFile(options.claims, 'claims file') : {};
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) throw new CliError('the claims file must hold a JSON object');
  const claims = { ...(fromFile as Record<string, unknown>) };
  for (const pair of options.claim ?? []) {
    const split = pair.indexOf('=');
    if (split < 1) throw new CliError(`--claim ${pair}: expected name=value`);
    const name = pair.slice(0, split);
    claims[name] = claimValue(name, pair.slice(split + 1));
  }
  return validateClaims(claims);
}

async function passwordInput(options: AddOptions, io: CliIo): Promise<string> {
  if (options.password !== undefined) {
    if (options.passwordStdin) throw new CliError('use either --password or --password-stdin, not both');
    return options.password;
  }
  if (!options.passwordStdin && io.stdin.isTTY) throw new CliError('a password is required: pass --password or pipe it with --password-stdin');
  // The first line only, so `echo secret | castellan users add ...` does not store the newline.
  const password = (await io.stdin.read()).split(/\r?\n/)[0];
  if (!password) throw new CliError('no password on stdin');
  return password;
}

export function registerUsersCommand(program: Command, io: CliIo): void {
  const users = program.command('users').description('manage end users');

  users
    .command('add')
    .description('create a user')
    .argument('<username>')
    .option('--password <password>', 'the password (visible in shell history: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from the first line of stdin (the default when stdin is not a terminal)')
    .option('--claims <file>', 'JSON object of standard OpenID Connect claims')
    .option('--claim <name=value>', 'one standard claim (repeatable; overrides --claims)', collect)
    .option('--json', 'machine-readable output')
    .action(async (username: string, options: AddOptions) => {
      const claims = claimsInput(options);
      const password = await passwordInput(options, io);
      const user = await withContext(io, (ctx) => createUser(ctx, { username, password, claims }));
      if (options.json) return printJson(io, userView(user));
      io.stdout(`Created user ${user.username} (sub ${user.id}).\n`);
    });

  users
    .command('list')
    .description('list users (never their password hashes)')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const records = await withContext(io, (ctx) => ctx.stores.users.list());
      if (options.json) return printJson(io, records.map(userView));
      printTable(io, ['USERNAME', 'SUB', 'NAME', 'EMAIL', 'CREATED'], records.map((u) => [
        u.username, u.id, String(u.claims.name ?? '-'), String(u.claims.email ?? '-'), isoTime(u.createdAt),
      ]));
    });

  users
    .command('remove')
    .description('remove a user and revoke every grant (and so every token) issued for them')
    .argument('<username>')
    .action(async (username: string) => {
      const revoked = await withContext(io, (ctx) => ctx.stores.transaction(async (tx) => {
        const user = await ctx.stores.users.findByUsername(username, tx);
        if (!user) throw new CliError(`user "${username}" not found`);
        const now = ctx.clock();
        const count = await ctx.stores.grants.revokeByUser(user.id, 'user_removed', now, tx);
        // SQLite does not enforce the MFA tables' foreign keys: remove their rows by hand.
        await ctx.stores.mfa.remove(user.id, tx);
        await ctx.stores.recoveryCodes.removeAll(user.id, tx);
        await ctx.stores.users.remove(user.id, tx);
        await ctx.stores.audit.record({ type: 'user.removed', userId: user.id, details: { grantsRevoked: count } }, now, tx);
        return count;
      }));
      io.stdout(`Removed user ${username} (${revoked} grant${revoked === 1 ? '' : 's'} revoked).\n`);
    });

  registerUserSecurityCommands(users, io);
  registerUserPrivacyCommands(users, io);
}
