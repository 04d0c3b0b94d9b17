/**
 * `castellan audit`: read the audit log. Filters by type (a trailing `*` matches a prefix), client,
 * user, address and time; prints the newest events oldest first, all events of a time range with
 * --since, or follows new events with --follow. --json writes JSON lines (one event per line), the
 * export format. Events never hold a secret or token, so neither does the output.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.2.1: when, where, who, what; V16.2.4: a format log processors read)
 */
import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration } from '../config/duration.js';
import type { AuditFilter, Stores, StoredAuditEvent } from '../storage/stores.js';
import { isoTime } from '../server/context.js';
import { collect, withContext, type CliIo, pauseUnlessAborted } from './output.js';

interface AuditOptions {
  type?: string[];
  client?: string;
  user?: string;
  ip?: string;
  since?: number;
  until?: number;
  limit?: number;
  follow?: boolean;
  json?: boolean;
}

/** Rows read per query when exporting a range or following. */
const PAGE = 1_000;
/** How often --follow looks for new events. */
export const FOLLOW_INTERVAL_MS = 1_000;

/** `2026-01-31T12:00:00Z` (or a date), or a duration back from now (`PT1H`, `P7D`); epoch seconds. */
export function parseTime(text: string, now = Math.floor(Date.now() / 1000)): number {
  const back = parseDuration(text);
  if (back !== undefined) return now - back;
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  throw new InvalidArgumentError('expected an ISO 8601 time such as 2026-01-31T12:00:00Z or a duration such as PT1H');
}

function parseLimit(text: string): number {
  if (!/^[1-9]\d{0,6}$/.test(text)) throw new InvalidArgumentError('expected a positive integer');
  return Number(text);
}

/** One event as a JSON line: epoch `at` plus its ISO `time`, wire-style names. */
export function eventJson(event: StoredAuditEvent): Record<string, unknown> {
  return {
    id: event.id, at: event.at, time: isoTime(event.at), type: event.type, client_id: event.clientId ?? null, user_id: event.userId ?? null,
    ip: event.ip ?? null, user_agent: event.userAgent ?? null, details: event.details ?? null,
  };
}

/** One event as a readable line: time, type, then whichever of client, user and address it names. */
export function eventLine(event: StoredAuditEvent): string {
  const fields = [isoTime(event.at), event.type.padEnd(26)];
  if (event.clientId) fields.push(`client=${event.clientId}`);
  if (event.userId) fields.push(`user=${event.userId}`);
  if (event.ip) fields.push(`ip=${event.ip}`);
  if (event.userAgent) fields.push(`ua=${JSON.stringify(event.userAgent)}`);
  if (event.details && Object.keys(event.details).length > 0) fields.push(JSON.stringify(event.details));
  return fields.join('  ');
}

/** Every event after `afterId` matching `filter`, oldest first, page by page. */
export async function* eventsAfter(stores: Stores, filter: AuditFilter, afterId?: number): AsyncGenerator<StoredAuditEvent> {
  let cursor = afterId;
  for (;;) {
    const page = await stores.audit.list({ ...filter, afterId: cursor, order: 'asc', limit: PAGE });
    yield* page;
    if (page.length < PAGE) return;
    cursor = page[page.length - 1].id;
  }
}

/** Emits events newer than `afterId` as they arrive, until `signal` aborts. */
export async function followAudit(stores: Stores, filter: AuditFilter, afterId: number, emit: (event: StoredAuditEvent) => void, signal: AbortSignal, intervalMs = FOLLOW_INTERVAL_MS): Promise<void> {
  let cursor = afterId;
  while (!signal.aborted) {
    for await (const event of eventsAfter(stores, filter, cursor)) {
      emit(event);
      cursor = event.id;
    }
    await pauseUnlessAborted(intervalMs, signal);
  }
}

export function registerAuditCommand(program: Command, io: CliIo): void {
  program
    .command('audit')
    .description('show, filter, follow or export (--json: JSON lines) the audit log of security events')
    .option('--type <type>', 'only this event type; a trailing * matches a prefix, e.g. login.* (repeatable)', collect)
    .option('--client <client_id>', 'only events of this client')
    .option('--user <username|sub>', 'only events of this user')
    .option('--ip <address>', 'only events from this client address')
    .option('--since <time>', 'from this ISO 8601 time, or this long ago (PT1H, P7D); prints every match', (v) => parseTime(v))
    .option('--until <time>', 'before this ISO 8601 time, or this long ago', (v) => parseTime(v))
    .option('-n, --limit <n>', 'the newest n matching events (default 50 without --since)', parseLimit)
    .option('-f, --follow', 'keep printing new events until interrupted')
    .option('--json', 'JSON lines, one event per line (the export format)')
    .action(async (options: AuditOptions) => {
      const print = (event: StoredAuditEvent) => io.stdout((options.json ? JSON.stringify(eventJson(event)) : eventLine(event)) + '\n');
      await withContext(io, async (ctx) => {
        const userId = options.user ? (await ctx.stores.users.findByUsername(options.user))?.id ?? options.user : undefined;
        const filter: AuditFilter = { types: options.type, clientId: options.client, userId, ip: options.ip, since: options.since, until: options.until };
        let last = 0;
        if (options.since !== undefined && options.limit === undefined) {
          for await (const event of eventsAfter(ctx.stores, filter)) {
            print(event);
            last = event.id;
          }
        } else {
          const newest = await ctx.stores.audit.list({ ...filter, order: 'desc', limit: options.limit ?? 50 });
          newest.reverse().forEach(print);
          last = newest.at(-1)?.id ?? (await ctx.stores.audit.list({ limit: 1 }))[0]?.id ?? 0;
        }
        if (!options.follow) return;
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          await followAudit(ctx.stores, { ...filter, until: undefined }, last, print, stop.signal);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      });
    });
}
