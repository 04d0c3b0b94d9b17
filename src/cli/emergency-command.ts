/**
 * `castellan emergency on|off|status`: during an attack, close client registration, halve every
 * rate limit and require a second factor to sign in, on every running node within seconds (the
 * state is in the database, which each node polls). See src/security/emergency-mode.ts.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V6.3, V6.4)
 */
import type { Command } from 'commander';
import { emergencyState, setEmergencyMode } from '../security/emergency-mode.js';
import { STATE_REFRESH_SECONDS } from '../security/ip-blocklist.js';
import { isoTime } from '../server/context.js';
import { printJson, withContext, type CliIo } from './output.js';

export function registerEmergencyCommand(program: Command, io: CliIo): void {
  const emergency = program.command('emergency').description('switch emergency mode (registration closed, tighter limits, MFA required)');

  emergency
    .command('on')
    .description('close registration, halve rate limits and refuse password-only sign-ins on every node')
    .option('--reason <text>', 'why, for the audit log')
    .action(async (options: { reason?: string }) => {
      const before = await withContext(io, (ctx) => setEmergencyMode(ctx, true, options.reason ?? null));
      io.stdout(`${before.active ? 'Emergency mode was already on' : 'Emergency mode is on'}: running nodes apply it within ${STATE_REFRESH_SECONDS} seconds.\n`);
    });

  emergency
    .command('off')
    .description('end emergency mode: registration, limits and sign-in return to their configuration')
    .action(async () => {
      const before = await withContext(io, (ctx) => setEmergencyMode(ctx, false, null));
      io.stdout(`${before.active ? 'Emergency mode is off' : 'Emergency mode was already off'}: running nodes apply it within ${STATE_REFRESH_SECONDS} seconds.\n`);
    });

  emergency
    .command('status')
    .description('show whether emergency mode is on')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const state = await withContext(io, (ctx) => emergencyState(ctx));
      if (options.json) return printJson(io, state);
      io.stdout(state.active ? `Emergency mode is on since ${isoTime(state.since)}${state.reason ? ` (${state.reason})` : ''}.\n` : 'Emergency mode is off.\n');
    });
}
