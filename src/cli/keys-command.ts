/**
 * `castellan keys list|rotate`: inspect and rotate signing keys. Rotation promotes each alg's next
 * key to active, retires the old active one (still published until what it signed has expired) and
 * publishes a fresh next key. Private keys are never printed.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 * @spec https://www.rfc-editor.org/rfc/rfc7517#section-5 (JWK Set)
 */
import { type Command } from 'commander';
import type { SigningKeyRecord } from '../storage/stores.js';
import { SUPPORTED_ALGS, type Alg } from '../tokens/keystore.js';
import { isoTime } from '../server/context.js';
import { CliError, collect, printJson, printTable, withContext, type CliIo } from './output.js';

/** Everything about a key except its sealed private part. */
export function keyView(key: SigningKeyRecord, now: number): Record<string, unknown> {
  const published = key.state !== 'retired' || (key.removeAfter !== null && key.removeAfter > now);
  return {
    kid: key.kid, alg: key.alg, state: key.state, published, created_at: key.createdAt, activated_at: key.activatedAt,
    retired_at: key.retiredAt, remove_after: key.removeAfter, public_jwk: key.publicJwk,
  };
}

export function registerKeysCommand(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('inspect and rotate signing keys');

  keys
    .command('list')
    .description('list signing keys and their life-cycle state (next, active, retired)')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const { records, now } = await withContext(io, async (ctx) => ({ records: await ctx.stores.keys.listAll(), now: ctx.clock() }));
      if (options.json) return printJson(io, records.map((k) => keyView(k, now)));
      printTable(io, ['KID', 'ALG', 'STATE', 'CREATED', 'ACTIVATED', 'RETIRED', 'UNPUBLISHED AFTER'], records.map((k) => [
        k.kid, k.alg, k.state, isoTime(k.createdAt), isoTime(k.activatedAt), isoTime(k.retiredAt), isoTime(k.removeAfter),
      ]));
    });

  keys
    .command('rotate')
    .description('rotate now: next becomes active, active becomes retired, a new next key is made')
    .option('--alg <alg>', `rotate only this algorithm (repeatable; default all: ${SUPPORTED_ALGS.join(', ')})`, collect)
    .option('--json', 'machine-readable output')
    .action(async (options: { alg?: string[]; json?: boolean }) => {
      const unknown = (options.alg ?? []).filter((alg) => !(SUPPORTED_ALGS as readonly string[]).includes(alg));
      if (unknown.length > 0) throw new CliError(`--alg ${unknown[0]} is not supported (use ${SUPPORTED_ALGS.join(' or ')})`);
      const algs = (options.alg ?? [...SUPPORTED_ALGS]) as Alg[];
      const { activated, now, all } = await withContext(io, async (ctx) => {
        const result = await ctx.keystore.rotate(algs);
        return { activated: result, now: ctx.clock(), all: await ctx.stores.keys.listAll() };
      });
      if (options.json) return printJson(io, all.filter((k) => algs.includes(k.alg as Alg)).map((k) => keyView(k, now)));
      for (const key of activated) {
        const next = all.find((k) => k.alg === key.alg && k.state === 'next');
        io.stdout(`${key.alg}: active ${key.kid}, next ${next?.kid ?? '-'}\n`);
      }
      io.stdout('Retired keys stay in the JWKS until everything they signed has expired.\n');
    });
}
