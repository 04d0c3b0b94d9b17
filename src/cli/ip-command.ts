/**
 * `castellan ip block|unblock|list`: refuse every request from an address or CIDR range (403 on every
 * endpoint of every node within seconds), lift a block, and list the blocks in force, including
 * those the threat detector set.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10
 */
import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration } from '../config/duration.js';
import { blockIp, normalizeBlockEntry, unblockIp } from '../security/ip-blocklist.js';
import type { IpBlockRecord } from '../storage/stores.js';
import { isoTime } from '../server/context.js';
import { CliError, printJson, printTable, withContext, type CliIo } from './output.js';

function entryArgument(text: string): string {
  const entry = normalizeBlockEntry(text);
  if (!entry) throw new CliError(`${text} is not an IP address or CIDR range`);
  return entry;
}

function durationOption(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new InvalidArgumentError('expected an ISO 8601 duration such as PT1H or P7D');
  return seconds;
}

export function blockView(block: IpBlockRecord): Record<string, unknown> {
  return { ip: block.ip, reason: block.reason, source: block.source, created_at: block.createdAt, expires_at: block.expiresAt };
}

export function registerIpCommand(program: Command, io: CliIo): void {
  const ip = program.command('ip').description('block and unblock client addresses');

  ip
    .command('block')
    .description('refuse every request from an address or CIDR range (403), on every node within seconds')
    .argument('<address>', 'an IPv4 or IPv6 address, or a CIDR range such as 198.51.100.0/24')
    .option('--reason <text>', 'why, for the list and the audit log', 'blocked by an operator')
    .option('--duration <duration>', 'lift the block after this long (ISO 8601, e.g. PT1H); default: until `ip unblock`', durationOption)
    .action(async (address: string, options: { reason: string; duration?: number }) => {
      const entry = entryArgument(address);
      const block = await withContext(io, (ctx) => blockIp(ctx, { entry, reason: options.reason, duration: options.duration }));
      io.stdout(`Blocked ${block.ip} ${block.expiresAt === null ? 'until unblocked' : `until ${isoTime(block.expiresAt)}`}.\n`);
    });

  ip
    .command('unblock')
    .description('lift the block of an address or range')
    .argument('<address>')
    .action(async (address: string) => {
      const entry = entryArgument(address);
      if (!(await withContext(io, (ctx) => unblockIp(ctx, entry)))) throw new CliError(`${entry} is not blocked`);
      io.stdout(`Unblocked ${entry}.\n`);
    });

  ip
    .command('list')
    .description('list the blocks in force')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const blocks = await withContext(io, (ctx) => ctx.stores.ipBlocks.listActive(ctx.clock()));
      if (options.json) return printJson(io, blocks.map(blockView));
      printTable(io, ['ADDRESS', 'SOURCE', 'SINCE', 'UNTIL', 'REASON'], blocks.map((b) => [b.ip, b.source, isoTime(b.createdAt), b.expiresAt === null ? 'unblocked' : isoTime(b.expiresAt), b.reason]));
    });
}
