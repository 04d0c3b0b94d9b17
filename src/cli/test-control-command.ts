/**
 * `castellan test-control clock|fail|rotate-keys|reset|status`: drives the test control API of a
 * RUNNING server over HTTP (src/test-control/), so a test script or a CI job can move the clock,
 * force failures and reset state between tests. The server needs TEST_CONTROL_ENABLED=true and an
 * ADMIN_TOKEN; this command sends that token (--admin-token, else the ADMIN_TOKEN environment
 * variable) as a Bearer token. It prints the server's JSON answer.
 */
import type { Command } from 'commander';
import { FAILURE_KINDS } from '../storage/test-control-records.js';
import { CliError, printJson, type CliIo } from './output.js';

interface ServerOptions {
  url?: string;
  adminToken?: string;
}

/** How long one call may take: a forced delay is never the admin API's, so a few seconds is plenty. */
const REQUEST_TIMEOUT_MS = 10_000;

function baseUrl(io: CliIo, options: ServerOptions): URL {
  const text = options.url ?? io.env.CASTELLAN_URL ?? `http://localhost:${io.env.PORT ?? '3000'}`;
  try {
    return new URL(text.endsWith('/') ? text : `${text}/`);
  } catch {
    throw new CliError(`--url ${text} is not a URL`);
  }
}

async function call(io: CliIo, options: ServerOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  const token = options.adminToken ?? io.env.ADMIN_TOKEN;
  if (!token) throw new CliError('the test control API needs the admin token: pass --admin-token or set ADMIN_TOKEN');
  const url = new URL(`admin/test/${path}`, baseUrl(io, options));
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new CliError(`cannot reach ${url.origin}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
  }
  const text = await response.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  if (response.status === 404) throw new CliError(`${url.origin} has no test control API: start it with TEST_CONTROL_ENABLED=true and ADMIN_TOKEN set`);
  if (response.status === 401) throw new CliError(`${url.origin} refused the admin token`);
  if (!response.ok) {
    const error = answer as { error?: string; error_description?: string } | undefined;
    throw new CliError(`${method} ${url.pathname} answered ${response.status}${error?.error ? `: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}` : ''}`);
  }
  return answer;
}

const positiveInteger = (name: string) => (text: string): number => {
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new CliError(`${name} must be a positive whole number`);
  return Number(text);
};

export function registerTestControlCommand(program: Command, io: CliIo): void {
  const control = program.command('test-control').description("drive a running server's test control API (TEST_CONTROL_ENABLED=true)");
  const serverOptions = (command: Command) => command
    .option('--url <url>', 'the server (default CASTELLAN_URL, else http://localhost:$PORT)')
    .option('--admin-token <token>', 'the ADMIN_TOKEN (default and better: the ADMIN_TOKEN environment variable; arguments show in process lists)');
  const print = (value: unknown) => printJson(io, value);

  serverOptions(control.command('status').description('the clock offset, pending forced failures and the seed file'))
    .action(async (options: ServerOptions) => print(await call(io, options, 'GET', 'status')));

  serverOptions(control.command('clock').description('show the clock; --advance moves it forward on every node, --reset returns to real time'))
    .option('--advance <duration>', 'seconds, or an ISO 8601 duration such as PT1H or P1D')
    .option('--reset', 'offset back to 0')
    .action(async (options: ServerOptions & { advance?: string; reset?: boolean }) => {
      if (options.advance !== undefined && options.reset) throw new CliError('use --advance or --reset, not both');
      if (options.reset) return print(await call(io, options, 'DELETE', 'clock'));
      if (options.advance === undefined) return print(await call(io, options, 'GET', 'clock'));
      const advance = /^\d+$/.test(options.advance) ? positiveInteger('--advance')(options.advance) : options.advance;
      print(await call(io, options, 'POST', 'clock', { advance }));
    });

  serverOptions(control.command('fail').description(`force the next responses to a client to fail (${FAILURE_KINDS.join(', ')}); --list or --clear the pending ones`))
    .argument('[client_id]', 'the client whose responses fail')
    .argument('[failure]', 'how they fail')
    .option('--count <n>', 'how many responses (default 1)', positiveInteger('--count'))
    .option('--delay-ms <ms>', 'with failure "delay": how long each response waits (at most 30000)', positiveInteger('--delay-ms'))
    .option('--endpoint <name>', 'token (default) or userinfo')
    .option('--list', 'list the pending failures')
    .option('--clear', 'delete every pending failure')
    .action(async (clientId: string | undefined, failure: string | undefined, options: ServerOptions & { count?: number; delayMs?: number; endpoint?: string; list?: boolean; clear?: boolean }) => {
      if (options.list) return print(await call(io, options, 'GET', 'failures'));
      if (options.clear) return print(await call(io, options, 'DELETE', 'failures'));
      if (!clientId || !failure) throw new CliError('name the client and the failure, e.g. `castellan test-control fail my-client temporarily_unavailable --count 2` (or use --list, --clear)');
      print(await call(io, options, 'POST', 'failures', { client_id: clientId, failure, count: options.count, delay_ms: options.delayMs, endpoint: options.endpoint }));
    });

  serverOptions(control.command('rotate-keys').description('rotate the signing keys now'))
    .action(async (options: ServerOptions) => print(await call(io, options, 'POST', 'keys/rotate')));

  serverOptions(control.command('reset').description('empty every data table and apply the seed file again (signing keys are kept)'))
    .action(async (options: ServerOptions) => print(await call(io, options, 'POST', 'reset')));
}
