/**
 * Signing keys with a life cycle: next (published, not signing) -> active (signs) -> retired
 * (published until everything it signed has expired) -> removed. State lives in the database so
 * every node agrees; each node caches imported keys and reloads them on an interval.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 * @spec https://www.rfc-editor.org/rfc/rfc7517#section-5 (JWK Set)
 * @spec https://www.rfc-editor.org/rfc/rfc7638 (kid is the JWK thumbprint)
 * @spec https://www.rfc-editor.org/rfc/rfc7518#section-3.1 (RS256, PS256, ES256)
 * @spec https://www.rfc-editor.org/rfc/rfc8037#section-3.1 (EdDSA with an Ed25519 OKP key)
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { Sealer } from './master-key.js';
import type { SigningKeyRecord, Stores } from '../storage/stores.js';

/** Each alg has its own keys and its own rotation: a PS256 key is never the RS256 key reused. */
export const SUPPORTED_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type Alg = (typeof SUPPORTED_ALGS)[number];

export function isSupportedAlg(alg: unknown): alg is Alg {
  return typeof alg === 'string' && (SUPPORTED_ALGS as readonly string[]).includes(alg);
}

interface LoadedKey {
  record: SigningKeyRecord;
  privateKey: CryptoKey;
}

export interface KeystoreOptions {
  stores: Stores;
  sealer: Sealer;
  clock: () => number;
  rsaModulusLength: number;
  /** How long a retired key stays published: the longest lifetime of anything signed. */
  retirementPeriod: number;
  reloadInterval?: number;
}

export class Keystore {
  private loaded: LoadedKey[] = [];
  private published: SigningKeyRecord[] = [];
  private loadedAt = -Infinity;

  constructor(private readonly options: KeystoreOptions) {}

  /**
   * Ensures every supported alg has an active and a next key, then loads them. A database created
   * before an alg was supported gains that alg's keys here, at the first start of the new version.
   */
  async initialise(): Promise<void> {
    const now = this.options.clock();
    const missing = (all: SigningKeyRecord[]) => SUPPORTED_ALGS.flatMap((alg) =>
      (['active', 'next'] as const).filter((state) => !all.some((k) => k.alg === alg && k.state === state)).map((state) => ({ alg, state })));
    // Generated before the lock, as in rotateChosen: with four algs (two of them RSA) generation takes
    // long enough that holding the transaction (SQLite's only connection) for it starves other work.
    // One at a time: generation runs on libuv's small thread pool, which PostgreSQL connections
    // (SCRAM authentication) and other crypto also need.
    const prepared = new Map<string, SigningKeyRecord>();
    for (const { alg, state } of missing(await this.options.stores.keys.listAll())) prepared.set(`${alg}:${state}`, await this.generate(alg, state, now));
    await this.options.stores.transaction(async (tx) => {
      // Nodes starting together on an empty database: the first inserts the keys, the others find them.
      await this.options.stores.keys.lockForChange(tx);
      for (const { alg, state } of missing(await this.options.stores.keys.listAll(tx))) {
        await this.options.stores.keys.insert(prepared.get(`${alg}:${state}`) ?? (await this.generate(alg, state, now)), tx);
      }
    });
    await this.reload();
  }

  /** Promotes next to active, retires the old active, and publishes a fresh next key, per alg. */
  async rotate(algs: readonly Alg[] = SUPPORTED_ALGS): Promise<SigningKeyRecord[]> {
    return this.rotateChosen(algs, () => algs);
  }

  /**
   * Rotates the algs whose active key is older than `interval` seconds. Several nodes run this on
   * the same schedule: the decision is taken again under the key lock, so only one of them rotates.
   */
  async rotateIfDue(interval: number): Promise<boolean> {
    await this.reload();
    const due = (active: SigningKeyRecord[], now: number) => SUPPORTED_ALGS.filter((alg) => {
      const current = active.find((k) => k.alg === alg);
      return !current || now - (current.activatedAt ?? current.createdAt) >= interval;
    });
    const candidates = due(this.loaded.map((k) => k.record), this.options.clock());
    if (candidates.length === 0) return false;
    const rotated = await this.rotateChosen(candidates, (all, now) => due(all.filter((k) => k.state === 'active'), now));
    return rotated.length > 0;
  }

  /**
   * One rotation under the key lock: `choose` sees every key as committed by then and picks the
   * algs to rotate (none leaves everything unchanged). New next keys are generated before the lock
   * is taken, so the transaction (and SQLite's only connection) is never held during RSA generation.
   */
  private async rotateChosen(candidates: readonly Alg[], choose: (all: SigningKeyRecord[], now: number) => readonly Alg[]): Promise<SigningKeyRecord[]> {
    const now = this.options.clock();
    const fresh = new Map<Alg, SigningKeyRecord>();
    for (const alg of candidates) fresh.set(alg, await this.generate(alg, 'next', now));
    const activated: SigningKeyRecord[] = [];
    await this.options.stores.transaction(async (tx) => {
      await this.options.stores.keys.lockForChange(tx);
      const all = await this.options.stores.keys.listAll(tx);
      const algs = choose(all, now).filter((alg) => candidates.includes(alg));
      if (algs.length === 0) return;
      for (const alg of algs) {
        const next = all.find((k) => k.alg === alg && k.state === 'next');
        for (const active of all.filter((k) => k.alg === alg && k.state === 'active')) {
          await this.options.stores.keys.update({ ...active, state: 'retired', retiredAt: now, removeAfter: now + this.options.retirementPeriod }, tx);
        }
        // A next key was published at least one JWKS cache period ago, so relying parties already know it.
        const promoted = next ? { ...next, state: 'active' as const, activatedAt: now } : await this.generate(alg, 'active', now);
        if (next) await this.options.stores.keys.update(promoted, tx);
        else await this.options.stores.keys.insert(promoted, tx);
        await this.options.stores.keys.insert(fresh.get(alg)!, tx);
        activated.push(promoted);
      }
      await this.options.stores.keys.removeExpired(now, tx);
      // Audited with the change it records (the kids are public: they are in the JWKS).
      await this.options.stores.audit.record({ type: 'keys.rotated', details: { activated: activated.map((k) => ({ kid: k.kid, alg: k.alg })) } }, now, tx);
    });
    await this.reload();
    return activated;
  }

  async reload(): Promise<void> {
    const now = this.options.clock();
    const published = await this.options.stores.keys.listPublished(now);
    const loaded: LoadedKey[] = [];
    for (const record of published.filter((k) => k.state === 'active')) {
      const cached = this.loaded.find((k) => k.record.kid === record.kid);
      const privateKey = cached?.privateKey ?? ((await importJWK(JSON.parse(this.options.sealer.open(record.privateEncrypted)), record.alg)) as CryptoKey);
      loaded.push({ record, privateKey });
    }
    this.loaded = loaded;
    this.published = published;
    this.loadedAt = now;
  }

  private async fresh(): Promise<void> {
    if (this.options.clock() - this.loadedAt >= (this.options.reloadInterval ?? 60)) await this.reload();
  }

  /** The JWKS document: public parts of next, active and retired keys. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.fresh();
    return { keys: this.published.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' }) as JWK) };
  }

  /** Public JWK for a kid, reloading once when the kid is unknown (another node may have rotated). */
  async publicKey(kid: string): Promise<JWK | undefined> {
    await this.fresh();
    let found = this.published.find((k) => k.kid === kid);
    if (!found) {
      await this.reload();
      found = this.published.find((k) => k.kid === kid);
    }
    return found ? ({ ...found.publicJwk, kid: found.kid, alg: found.alg } as JWK) : undefined;
  }

  async sign(payload: JWTPayload, options: { alg?: Alg; typ?: string } = {}): Promise<string> {
    await this.fresh();
    const alg = options.alg ?? 'RS256';
    const key = this.loaded.find((k) => k.record.alg === alg);
    if (!key) throw new Error(`No active ${alg} signing key`);
    return new SignJWT(payload).setProtectedHeader({ alg, kid: key.record.kid, typ: options.typ ?? 'JWT' }).sign(key.privateKey);
  }

  private async generate(alg: Alg, state: 'active' | 'next', now: number): Promise<SigningKeyRecord> {
    // RFC 8037 §3.1: EdDSA names the curve in the key (crv Ed25519), not in the alg.
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: this.options.rsaModulusLength, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = await exportJWK(privateKey);
    return {
      kid, alg, state, publicJwk, privateEncrypted: this.options.sealer.seal(JSON.stringify(privateJwk)),
      createdAt: now, activatedAt: state === 'active' ? now : null, retiredAt: null, removeAfter: null,
    };
  }
}
