/**
 * Master key rotation: a new AES-256-GCM key, and every value sealed with the old one (SEALED_COLUMNS)
 * opened and sealed again with the new one in one transaction, audited in it. With a key file the new
 * key is first written beside it (`<file>.new`, 0600, synced), then the transaction commits, then the
 * old key is kept as `<file>.previous` and the new file is renamed over the key file (atomic). Writing
 * the new key before the commit (rather than after) means no crash can leave the database sealed with
 * a key that exists nowhere: `settleMasterKeyFile` (run at start) finishes or discards an interrupted
 * rotation by testing which key opens the stored values. `<file>.previous` is removed once a server
 * has started with the new key. With CASTELLAN_MASTER_KEY the new key is returned for the operator to
 * install on every node.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V11.2: key management, rotation)
 * @spec https://csrc.nist.gov/pubs/sp/800/38/d/final (AES-GCM)
 */
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { Knex } from 'knex';
import type { Config } from '../config/config.js';
import type { Stores } from '../storage/stores.js';
import { MasterKey, type Sealer } from './master-key.js';

/**
 * Every column holding a value sealed with the master key, as (table, column) with the row key.
 * A new sealed column must be added here, or rotation leaves it sealed with a key that is gone.
 */
export const SEALED_COLUMNS = [
  { table: 'signing_keys', key: 'kid', column: 'private_encrypted' },
  { table: 'clients', key: 'client_id', column: 'secret_encrypted' },
  { table: 'user_mfa', key: 'user_id', column: 'secret_encrypted' },
] as const;

export const newKeyPath = (file: string) => `${file}.new`;
export const previousKeyPath = (file: string) => `${file}.previous`;

const readKey = (path: string) => new MasterKey(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'));

/** Writes a key file that is complete on disk before this returns; refuses to overwrite. */
function writeKeyFile(path: string, key: Buffer): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, key.toString('base64') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Opens every sealed value with `from` and seals it with `to`; returns the count per table. */
async function reseal(tx: Knex.Transaction, from: Sealer, to: Sealer): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { table, key, column } of SEALED_COLUMNS) {
    const rows: Record<string, string>[] = await tx(table).select(key, column).whereNotNull(column);
    for (const row of rows) {
      let plain: string;
      try {
        plain = from.open(row[column]);
      } catch {
        throw new Error(`${table}.${column} of ${key} ${row[key]} cannot be opened with the current master key; nothing was changed`);
      }
      const sealed = to.seal(plain);
      // Conditional on the old value: a concurrent writer makes the rotation fail rather than lose its write.
      const updated = await tx(table).where({ [key]: row[key], [column]: row[column] }).update({ [column]: sealed });
      if (updated !== 1) throw new Error(`${table} row ${row[key]} changed during the rotation; nothing was changed`);
    }
    counts[table] = rows.length;
  }
  return counts;
}

export interface Rotation {
  /** The new key (base64): to be installed as CASTELLAN_MASTER_KEY when that is how the key is given. */
  key: string;
  /** The key file now holding the new key, when a key file is used. */
  file?: string;
  resealed: Record<string, number>;
}

/** Rotates the master key for the configured database. `current` is the key in use now. */
export async function rotateMasterKey(stores: Stores, config: Pick<Config, 'masterKey' | 'masterKeyFile'>, current: Sealer, now: number): Promise<Rotation> {
  const raw = randomBytes(32);
  const next = new MasterKey(raw);
  const usesFile = !config.masterKey;
  const staged = newKeyPath(config.masterKeyFile);
  if (usesFile) {
    if (existsSync(staged)) throw new Error(`${staged} exists: an earlier rotation did not finish; start the server once (it completes or discards it), then rotate again`);
    writeKeyFile(staged, raw);
  }
  let resealed: Record<string, number>;
  try {
    resealed = await stores.transaction(async (tx) => {
      const counts = await reseal(tx, current, next);
      await stores.audit.record({ type: 'master_key.rotated', details: { resealed: counts, key_source: usesFile ? 'file' : 'environment' } }, now, tx);
      return counts;
    });
  } catch (error) {
    if (usesFile) unlinkSync(staged);
    throw error;
  }
  if (!usesFile) return { key: raw.toString('base64'), resealed };
  copyFileSync(config.masterKeyFile, previousKeyPath(config.masterKeyFile));
  renameSync(staged, config.masterKeyFile);
  return { key: raw.toString('base64'), file: config.masterKeyFile, resealed };
}

/** One stored sealed value, to tell which key the database is sealed with; undefined when none exists. */
async function probe(db: Knex): Promise<string | undefined> {
  for (const { table, column } of SEALED_COLUMNS) {
    const row = await db(table).select(column).whereNotNull(column).first();
    if (row) return row[column] as string;
  }
  return undefined;
}

const opens = (sealer: Sealer, sealed: string) => {
  try {
    sealer.open(sealed);
    return true;
  } catch {
    return false;
  }
};

/**
 * Finishes or discards an interrupted rotation before the key file is loaded: when the database only
 * opens with `<file>.new`, the rotation committed and the rename is completed; otherwise the staged
 * key is stale and removed. Returns what it did. A no-op with CASTELLAN_MASTER_KEY.
 */
export async function settleMasterKeyFile(db: Knex, config: Pick<Config, 'masterKey' | 'masterKeyFile'>): Promise<'completed' | 'discarded' | 'none'> {
  const staged = newKeyPath(config.masterKeyFile);
  if (config.masterKey || !existsSync(staged) || !existsSync(config.masterKeyFile)) return 'none';
  const sealed = await probe(db);
  if (sealed !== undefined && !opens(readKey(config.masterKeyFile), sealed) && opens(readKey(staged), sealed)) {
    copyFileSync(config.masterKeyFile, previousKeyPath(config.masterKeyFile));
    renameSync(staged, config.masterKeyFile);
    return 'completed';
  }
  unlinkSync(staged);
  return 'discarded';
}

/** After a successful start with the new key, the old one is no longer needed. */
export function forgetPreviousMasterKey(config: Pick<Config, 'masterKey' | 'masterKeyFile'>): boolean {
  const previous = previousKeyPath(config.masterKeyFile);
  if (config.masterKey || !existsSync(previous)) return false;
  unlinkSync(previous);
  return true;
}
