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
import type { Config } from '../config/config.js';
import { SEALED_KINDS } from '../storage/sql/sealed-value-store.js';
import type { Stores, Tx } from '../storage/stores.js';
import { MasterKey, type Sealer } from './master-key.js';

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

/** Opens every sealed value with `from` and seals it with `to`; returns the count per kind. */
async function reseal(stores: Stores, tx: Tx, from: Sealer, to: Sealer): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const kind of SEALED_KINDS) {
    const values = await stores.sealedValues.list(kind, tx);
    for (const value of values) {
      let plain: string;
      try {
        plain = from.open(value.sealed);
      } catch {
        throw new Error(`the ${kind} of ${value.id} cannot be opened with the current master key; nothing was changed`);
      }
      if (!(await stores.sealedValues.replace(value, to.seal(plain), tx))) throw new Error(`the ${kind} of ${value.id} changed during the rotation; nothing was changed`);
    }
    counts[kind] = values.length;
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
      const counts = await reseal(stores, tx, current, next);
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
export async function settleMasterKeyFile(stores: Pick<Stores, 'sealedValues'>, config: Pick<Config, 'masterKey' | 'masterKeyFile'>): Promise<'completed' | 'discarded' | 'none'> {
  const staged = newKeyPath(config.masterKeyFile);
  if (config.masterKey || !existsSync(staged) || !existsSync(config.masterKeyFile)) return 'none';
  const sealed = await stores.sealedValues.first();
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
