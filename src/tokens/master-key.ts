/**
 * Encryption at rest (AES-256-GCM) for private keys and the few secrets that must be kept readable.
 * The master key comes from CASTELLAN_MASTER_KEY, or from a 0600 key file generated on first start.
 * Ciphertext format: `v1.<iv>.<tag>.<ciphertext>` in base64url.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Sealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /**
   * A 32-byte key for one purpose (such as DPoP nonces), derived with HKDF-SHA256: every node with
   * the same master key derives the same one, and no purpose's key reveals another's.
   */
  deriveKey(purpose: string): Buffer;
}

export class MasterKey implements Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('The master key must be 32 bytes');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `castellan:${purpose}`, 32));
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('Unrecognised sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** Loads the master key from the environment value, or reads (creating if absent) the key file. */
export function loadMasterKey(options: { masterKey?: string; masterKeyFile: string }): MasterKey {
  if (options.masterKey) return new MasterKey(Buffer.from(options.masterKey, 'base64'));
  if (!existsSync(options.masterKeyFile)) {
    mkdirSync(dirname(options.masterKeyFile), { recursive: true });
    writeFileSync(options.masterKeyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  return new MasterKey(Buffer.from(readFileSync(options.masterKeyFile, 'utf8').trim(), 'base64'));
}
