/**
 * `castellan trace CLIENT_ID`: the request inspector's recordings of one client, read from the
 * database like the other commands: the newest requests oldest first, --json as JSON lines, and
 * --follow to keep printing new ones until interrupted. Secrets were masked before they were
 * stored, so the output holds none.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.2.5: no secrets in logs)
 */
import { InvalidArgumentError, type Command } from 'commander';
import { asTraceCount, TRACE_COUNT_RULE } from '../config/inspector-settings.js';
import type { RequestTrace } from '../storage/request-trace-records.js';
import type { Stores } from '../storage/stores.js';
import { isoTime } from '../server/context.js';
import { withContext, type CliIo, pauseUnlessAborted } from './output.js';

interface TraceOptions {
  limit?: number;
  follow?: boolean;
  json?: boolean;
}

/** How often --follow looks for new requests. */
export const FOLLOW_INTERVAL_MS = 1_000;
/** Requests read per poll while following. */
const PAGE = 500;

/** The rule of INSPECTOR_MAX_PER_CLIENT: no more requests are ever kept per client. */
function parseLimit(text: string): number {
  const limit = asTraceCount(text);
  if (limit === undefined) throw new InvalidArgumentError(`expected ${TRACE_COUNT_RULE}`);
  return limit;
}

/** One request as a JSON line, wire-style names. */
export function traceJson(trace: RequestTrace): Record<string, unknown> {
  return {
    id: trace.id, at: trace.at, time: isoTime(trace.at), client_id: trace.clientId, endpoint: trace.endpoint, method: trace.method, status: trace.status,
    duration_ms: trace.durationMs, params: trace.params, masked: trace.masked, error: trace.error ?? null, issued: trace.issued,
    redirect: trace.redirect ?? null, redirect_params: trace.redirectParams ?? null,
  };
}

/** One request as a readable line: time, method, endpoint, status, error, parameters, what was issued. */
export function traceLine(trace: RequestTrace): string {
  const fields = [isoTime(trace.at), `${trace.method} ${trace.endpoint}`.padEnd(26), String(trace.status)];
  if (trace.error) fields.push(`error=${trace.error.code}${trace.error.requirement ? ` (${trace.error.requirement})` : ''}${trace.error.description ? ` ${JSON.stringify(trace.error.description)}` : ''}`);
  const params = Object.entries(trace.params).map(([name, value]) => `${name}=${Array.isArray(value) ? value.join(',') : value}`);
  if (params.length > 0) fields.push(params.join(' '));
  if (trace.issued.length > 0) fields.push(`issued=${trace.issued.map((token) => `${token.kind}(${token.format})`).join(',')}`);
  if (trace.redirect) fields.push(`-> ${trace.redirect}`);
  return fields.join('  ');
}

/** Emits the client's requests newer than `afterId` as they are recorded, until `signal` aborts. */
export async function followTraces(stores: Stores, clientId: string, afterId: number, emit: (trace: RequestTrace) => void, signal: AbortSignal, intervalMs = FOLLOW_INTERVAL_MS): Promise<void> {
  let cursor = afterId;
  while (!signal.aborted) {
    for (;;) {
      const page = await stores.requestTraces.listByClient(clientId, { limit: PAGE, afterId: cursor });
      for (const trace of page) {
        emit(trace);
        cursor = trace.id ?? cursor;
      }
      if (page.length < PAGE) break;
    }
    await pauseUnlessAborted(intervalMs, signal);
  }
}

export function registerTraceCommand(program: Command, io: CliIo): void {
  program
    .command('trace')
    .description('show or follow the requests a client made (request inspector; secrets are masked)')
    .argument('<client_id>', 'the client whose requests to show')
    .option('-n, --limit <n>', 'the newest n requests (default 20)', parseLimit)
    .option('-f, --follow', 'keep printing new requests until interrupted')
    .option('--json', 'JSON lines, one request per line')
    .action(async (clientId: string, options: TraceOptions) => {
      const print = (trace: RequestTrace) => io.stdout((options.json ? JSON.stringify(traceJson(trace)) : traceLine(trace)) + '\n');
      await withContext(io, async (ctx) => {
        const newest = await ctx.stores.requestTraces.listByClient(clientId, { limit: options.limit ?? 20 });
        newest.reverse().forEach(print);
        if (!options.follow) {
          if (newest.length === 0 && !options.json) io.stderr(`No recorded requests of ${clientId}${ctx.config.inspectorEnabled ? '' : ' (the inspector is off: INSPECTOR_ENABLED=false)'}.\n`);
          return;
        }
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          await followTraces(ctx.stores, clientId, newest.at(-1)?.id ?? 0, print, stop.signal);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      });
    });
}
