/**
 * `castellan users export USERNAME` and `castellan users delete USERNAME`: a user's right of access
 * (everything held about them, as JSON, without hashes or secrets) and right to erasure (the user
 * and every grant, token, consent and session of theirs, gone in one transaction; unlike `users
 * remove`, which keeps revoked grants for the record).
 * @spec https://eur-lex.europa.eu/eli/reg/2016/679/oj (GDPR Art. 15, 17, 20)
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Context } from '../server/context.js';
import type { UserRecord } from '../storage/stores.js';
import { deleteUserData, exportUserData } from '../users/user-privacy.js';
import { CliError, withContext, type CliIo } from './output.js';

async function requireUser(ctx: Context, username: string): Promise<UserRecord> {
  const user = await ctx.stores.users.findByUsername(username);
  if (!user) throw new CliError(`user "${username}" not found`);
  return user;
}

export function registerUserPrivacyCommands(users: Command, io: CliIo): void {
  users
    .command('export')
    .description('write everything stored about a user as JSON (claims, consents, sessions, grants, tokens, audit events; no secrets)')
    .argument('<username>')
    .option('-o, --output <file>', 'write to this file (created with mode 0600) instead of stdout')
    .action(async (username: string, options: { output?: string }) => {
      const document = await withContext(io, async (ctx) => exportUserData(ctx, await requireUser(ctx, username)));
      const text = JSON.stringify(document, null, 2) + '\n';
      if (!options.output) return io.stdout(text);
      try {
        writeFileSync(options.output, text, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        throw new CliError(`cannot write ${options.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      io.stdout(`Wrote what is stored about ${username} to ${options.output}.\n`);
    });

  users
    .command('delete')
    .description('erase a user and every grant, token, consent and session of theirs (audit events are kept, anonymised)')
    .argument('<username>')
    .action(async (username: string) => {
      const removed = await withContext(io, async (ctx) => deleteUserData(ctx, await requireUser(ctx, username)));
      const count = (n: number | undefined, word: string) => `${n ?? 0} ${word}${n === 1 ? '' : 's'}`;
      const tokens = (removed.refresh_tokens ?? 0) + (removed.access_tokens ?? 0);
      io.stdout(`Deleted user ${username}: ${count(removed.grants, 'grant')}, ${count(tokens, 'token')}, ${count(removed.sessions, 'session')} and ${count(removed.consents, 'consent')} removed; ${count(removed.audit_events_anonymised, 'audit event')} anonymised.\n`);
    });
}
