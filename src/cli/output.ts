/**
 * What every `castellan` command shares: injected I/O (so tests run commands in-process), the
 * user-error type, readable tables and JSON output, and opening a context from the environment.
 */
import { readFileSync } from 'node:fs';
import { loadConfig, type Config } from '../config/config.js';
import { bootstrap } from '../server/bootstrap.js';
import { releaseContext, type Context } from '../server/context.js';
import { openStores } from '../storage/sql/create-stores.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  stdin: { isTTY: boolean; read(): Promise<string> };
}

/** A mistake by the person running the command: reported as one line, never with a stack trace. */
export class CliError extends Error {}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(JSON.stringify(value, null, 2) + '\n');
}

/** A plain left-aligned table; `rows` are already strings. */
export function printTable(io: CliIo, headers: string[], rows: string[][]): void {
  if (rows.length === 0) {
    io.stdout('(none)\n');
    return;
  }
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd() + '\n';
  io.stdout(line(headers));
  io.stdout(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) io.stdout(line(row));
}

/** `key: value` lines for one record. */
export function printFields(io: CliIo, fields: [string, string][]): void {
  const width = Math.max(...fields.map(([name]) => name.length)) + 1;
  for (const [name, value] of fields) io.stdout(`${(name + ':').padEnd(width)} ${value}\n`);
}

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

export function cliConfig(io: CliIo): Config {
  return loadConfig(io.env);
}

/**
 * Runs `work` with a context on the configured database (migrated, keys present), then closes it.
 * Management commands log nothing: their output is the result.
 */
export async function withContext<T>(io: CliIo, work: (ctx: Context) => Promise<T>): Promise<T> {
  const config = cliConfig(io);
  const stores = await openStores(config.databaseUrl, { timeoutMs: config.databaseTimeout });
  // Closed here so the database is closed even when bootstrapping fails.
  try {
    const ctx = await bootstrap({ ...config, logLevel: 'silent' }, { stores });
    try {
      return await work(ctx);
    } finally {
      await releaseContext(ctx);
    }
  } finally {
    await stores.close();
  }
}

/** Commander's collector for repeatable options. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Waits `ms`, or less when `signal` aborts first (a --follow loop stopped by Ctrl-C). */
export function pauseUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
