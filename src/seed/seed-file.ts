/**
 * The seed file: clients and users a staging or test deployment starts with. Validated as a whole
 * (each problem names the entry), then applied in one transaction so a bad entry writes nothing.
 * Applying is idempotent: a client_id or username that already exists is left as it is.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (client metadata)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { validateClientMetadata } from '../clients/client-metadata.js';
import { createClient, usesSecret } from '../clients/client-service.js';
import type { Config } from '../config/config.js';
import { OAuthError } from '../errors/oauth-error.js';
import { ajv } from '../schema/validator.js';
import { passwordProblem } from '../security/password-policy.js';
import type { Context } from '../server/context.js';
import type { ClientMetadata, Tx } from '../storage/stores.js';
import { createUser, type RecreatedUser } from '../users/user-service.js';
import { seedFileSchema, standardClaimsSchema } from './seed.schema.js';

export interface SeedUser {
  username: string;
  password: string;
  claims?: Record<string, unknown>;
}

export interface SeedFile {
  clients?: (Record<string, unknown> & { client_id: string })[];
  users?: SeedUser[];
}

export interface SeedReport {
  clients: { created: string[]; existing: string[] };
  users: { created: string[]; existing: string[] };
}

/** A seed file that cannot be applied; the message names the file entry and the problem. */
export class SeedError extends Error {}

let validateFile: ValidateFunction | undefined;
let validateClaimsSchema: ValidateFunction | undefined;

/** `/clients/0/redirect_uris/1` -> `clients[0].redirect_uris[1]` */
const jsonPath = (pointer: string) => pointer.split('/').slice(1).map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`)).join('').replace(/^\./, '');

function describe(error: ErrorObject, label: string): string {
  const path = jsonPath(error.instancePath);
  const what = error.keyword === 'required'
    ? `${path ? `${path}.` : ''}${error.params.missingProperty} is required`
    : `${path ? `${path} ` : ''}${error.keyword === 'enum' ? `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}` : error.message}`;
  return label ? `${label}: ${what}` : what;
}

/** The schema layer drops undeclared members; here a dropped member is a typo worth reporting. */
function unknownMembers(original: unknown, cleaned: unknown, path: string): string[] {
  if (typeof original !== 'object' || original === null || typeof cleaned !== 'object' || cleaned === null) return [];
  const found: string[] = [];
  for (const [key, value] of Object.entries(original)) {
    const child = Array.isArray(original) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (!(key in cleaned)) found.push(child);
    else found.push(...unknownMembers(value, (cleaned as Record<string, unknown>)[key], child));
  }
  return found;
}

/** Validates standard claims (for the seed file and `castellan users add`). */
export function validateClaims(claims: unknown, label = 'claims'): Record<string, unknown> {
  validateClaimsSchema ??= ajv.compile(standardClaimsSchema);
  const copy = structuredClone(claims);
  if (!validateClaimsSchema(copy)) throw new SeedError(describe(validateClaimsSchema.errors![0], label));
  const unknown = unknownMembers(claims, copy, label);
  if (unknown.length > 0) throw new SeedError(`${unknown[0]} is not a standard OpenID Connect claim`);
  return copy as Record<string, unknown>;
}

const clientLabel = (index: number, id: unknown) => `clients[${index}]${typeof id === 'string' ? ` (client_id "${id}")` : ''}`;
const userLabel = (index: number, name: unknown) => `users[${index}]${typeof name === 'string' ? ` (username "${name}")` : ''}`;

export type SeedOptions = Pick<Config, 'production' | 'passwordMinLength'> & Partial<Pick<Config, 'tokenExchangeTrustedIssuers'>>;

/** Structural and per-entry checks; throws SeedError with the first problem found. */
export function validateSeed(document: unknown, options: SeedOptions): SeedFile {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new SeedError('the seed file must be a JSON object with "clients" and/or "users"');
  validateFile ??= ajv.compile(seedFileSchema);
  const seed = structuredClone(document) as SeedFile;
  if (!validateFile(seed)) {
    const error = validateFile.errors![0];
    const [, list, index] = error.instancePath.split('/');
    const entries = (document as Record<string, unknown[]>)[list];
    const entry = Array.isArray(entries) ? (entries[Number(index)] as Record<string, unknown> | undefined) : undefined;
    const label = list === 'clients' && entry ? clientLabel(Number(index), entry.client_id) : list === 'users' && entry ? userLabel(Number(index), entry.username) : '';
    const relative = label ? { ...error, instancePath: error.instancePath.split('/').slice(3).map((p) => '/' + p).join('') } : error;
    throw new SeedError(describe(relative, label));
  }
  const unknown = unknownMembers(document, seed, '');
  if (unknown.length > 0) {
    const member = unknown[0];
    if (member.endsWith('.claims.sub')) throw new SeedError(`${member}: sub is the user's generated id and cannot be set`);
    throw new SeedError(`${member} is not ${/\.claims\.[^.]+$/.test(member) ? 'a standard OpenID Connect claim' : 'a recognised seed file member'}`);
  }

  const ids = new Set<string>();
  (seed.clients ?? []).forEach((client, index) => {
    const label = clientLabel(index, client.client_id);
    if (ids.has(client.client_id)) throw new SeedError(`${label}: client_id appears more than once`);
    ids.add(client.client_id);
    let metadata: ClientMetadata;
    try {
      metadata = validateClientMetadata(client, options);
    } catch (error) {
      throw error instanceof OAuthError ? new SeedError(`${label}: ${error.description}`) : error;
    }
    // A generated secret would be lost: the seed file is the only place it could be read from.
    if (usesSecret({ metadata }) && client.client_secret === undefined) throw new SeedError(`${label}: client_secret is required for ${metadata.token_endpoint_auth_method}`);
    if (!usesSecret({ metadata }) && client.client_secret !== undefined) throw new SeedError(`${label}: client_secret is not used with ${metadata.token_endpoint_auth_method}`);
  });
  const usernames = new Set<string>();
  (seed.users ?? []).forEach((user, index) => {
    if (usernames.has(user.username)) throw new SeedError(`${userLabel(index, user.username)}: username appears more than once`);
    usernames.add(user.username);
    const problem = passwordProblem(user.password, { minLength: options.passwordMinLength, username: user.username });
    if (problem) throw new SeedError(`${userLabel(index, user.username)}: ${problem}`);
  });
  return seed;
}

export function loadSeedFile(path: string, options: SeedOptions): SeedFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SeedError(`cannot read seed file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SeedError(`seed file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return validateSeed(document, options);
}

/** Creates what is missing, in one transaction (or in `within`); existing clients and users are left unchanged. */
export async function applySeed(ctx: Context, seed: SeedFile, within?: Tx, recreate?: (username: string, password: string) => RecreatedUser | undefined): Promise<SeedReport> {
  const report: SeedReport = { clients: { created: [], existing: [] }, users: { created: [], existing: [] } };
  const work = async (tx: Tx) => {
    for (const [index, client] of (seed.clients ?? []).entries()) {
      if (await ctx.stores.clients.find(client.client_id, tx)) {
        report.clients.existing.push(client.client_id);
        continue;
      }
      try {
        await createClient(ctx, client, tx);
      } catch (error) {
        throw error instanceof OAuthError ? new SeedError(`${clientLabel(index, client.client_id)}: ${error.description}`) : error;
      }
      report.clients.created.push(client.client_id);
    }
    for (const [index, user] of (seed.users ?? []).entries()) {
      if (await ctx.stores.users.findByUsername(user.username, tx)) {
        report.users.existing.push(user.username);
        continue;
      }
      try {
        await createUser(ctx, { username: user.username, password: user.password, claims: user.claims ?? {} }, tx, recreate?.(user.username, user.password));
      } catch (error) {
        throw error instanceof OAuthError ? new SeedError(`${userLabel(index, user.username)}: ${error.description}`) : error;
      }
      report.users.created.push(user.username);
    }
    await ctx.stores.audit.record({ type: 'seed.applied', details: { clients: report.clients.created.length, users: report.users.created.length } }, ctx.clock(), tx);
  };
  await (within ? work(within) : ctx.stores.transaction(work));
  return report;
}

export async function applySeedFile(ctx: Context, path: string): Promise<SeedReport> {
  return applySeed(ctx, loadSeedFile(path, ctx.config));
}
