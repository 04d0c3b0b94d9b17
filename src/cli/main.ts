#!/usr/bin/env node
/**
 * The `castellan` command: start the server, migrate, manage clients, users and signing keys, and
 * apply a seed file. `run()` takes its I/O and environment as arguments so tests run it in-process.
 * User mistakes end as one line on stderr and exit code 1, never a stack trace.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config.js';
import { OAuthError } from '../errors/oauth-error.js';
import { SeedError } from '../seed/seed-file.js';
import { registerAuditCommand } from './audit-command.js';
import { registerClientsCommand } from './clients-command.js';
import { registerDevCert } from './dev-cert-command.js';
import { registerEmergencyCommand } from './emergency-command.js';
import { registerIncidentCommand } from './incident-command.js';
import { registerIpCommand } from './ip-command.js';
import { registerKeysCommand } from './keys-command.js';
import { registerMasterKeyCommand } from './master-key-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { CliError, type CliIo } from './output.js';
import { registerSeedCommand } from './seed-command.js';
import { registerStartCommand } from './start-command.js';
import { registerTestControlCommand } from './test-control-command.js';
import { registerTraceCommand } from './trace-command.js';
import { registerUsersCommand } from './users-command.js';

function packageVersion(): string {
  // src/cli and dist/cli are both two levels below package.json.
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('castellan')
    .description('Castellan: an OAuth 2.1 authorization server and OpenID Connect provider.\nSettings come from environment variables (and CONFIG_FILE); see the README.')
    .version(packageVersion())
    .showHelpAfterError('(add --help for usage)')
    // Set before the subcommands are added: commander copies these settings into each of them.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) => write(`castellan: ${text.replace(/^error: /, '')}`),
    });
  registerStartCommand(program, io);
  registerMigrateCommand(program, io);
  registerClientsCommand(program, io);
  registerUsersCommand(program, io);
  registerKeysCommand(program, io);
  registerSeedCommand(program, io);
  registerDevCert(program, io);
  registerAuditCommand(program, io);
  registerIncidentCommand(program, io);
  registerIpCommand(program, io);
  registerEmergencyCommand(program, io);
  registerMasterKeyCommand(program, io);
  registerTestControlCommand(program, io);
  registerTraceCommand(program, io);
  return program;
}

/** Runs one command line (without the node and script arguments) and returns the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    return report(error, io);
  }
}

/** One line per problem for mistakes; unexpected failures get their message (stack only at debug). */
function report(error: unknown, io: CliIo): number {
  const say = (line: string) => io.stderr(`castellan: ${line}\n`);
  // Commander has already printed its own message (or the help text).
  if (error instanceof CommanderError) return error.exitCode;
  if (error instanceof ConfigError) error.problems.forEach(say);
  else if (error instanceof OAuthError) say(error.description);
  else if (error instanceof CliError || error instanceof SeedError) say(error.message);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') say(`the port is already in use (${(error as Error).message})`);
  else if (/unable to authenticate data/.test((error as Error).message ?? '')) {
    say('cannot decrypt the signing keys: the master key (CASTELLAN_MASTER_KEY or MASTER_KEY_FILE) is not the one they were sealed with');
  } else {
    say((error as Error).message ?? String(error));
    if (['debug', 'trace'].includes(io.env.LOG_LEVEL ?? '')) io.stderr(`${(error as Error).stack}\n`);
  }
  return 1;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The real process's streams; a function so importing this module (tests do) touches no stream. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stdin: { isTTY: Boolean(process.stdin.isTTY), read: readStdin },
  };
}

/** True when this file is the program itself (npm's bin link is a symlink, hence realpath), not an import. */
function isEntryPoint(): boolean {
  try {
    return Boolean(process.argv[1]) && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  run(process.argv.slice(2), processIo()).then((code) => {
    // exitCode rather than exit(): `start` keeps running, and pending output is flushed.
    process.exitCode = code;
  });
}
