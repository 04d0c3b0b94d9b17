/**
 * `castellan incident revoke-client CLIENT_ID`: when a client's credentials or tokens may have
 * leaked, revoke every grant of that client, and so every authorization code, refresh token and
 * access token issued to it. The client stays registered; replace its secret or remove it next.
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
import type { Command } from 'commander';
import { revokeClientTokens } from '../security/incident-response.js';
import { CliError, printJson, withContext, type CliIo } from './output.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function registerIncidentCommand(program: Command, io: CliIo): void {
  const incident = program.command('incident').description('respond to a security incident');

  incident
    .command('revoke-client')
    .description('revoke every access and refresh token (and every grant) of a client, at once, on every node')
    .argument('<client_id>')
    .option('--reason <text>', 'why, for the audit log')
    .option('--json', 'machine-readable output')
    .action(async (clientId: string, options: { reason?: string; json?: boolean }) => {
      const result = await withContext(io, (ctx) => revokeClientTokens(ctx, clientId, options.reason ?? null));
      if (!result) throw new CliError(`client "${clientId}" not found`);
      if (options.json) return printJson(io, { client_id: clientId, grants_revoked: result.grants, refresh_tokens_revoked: result.refreshTokens, access_tokens_revoked: result.accessTokens });
      io.stdout(`Revoked every token of ${clientId}: ${plural(result.grants, 'grant')}, ${plural(result.refreshTokens, 'refresh token')} and ${plural(result.accessTokens, 'access token')} that were still usable.\n`);
    });
}
