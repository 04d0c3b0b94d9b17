/**
 * DPoP proofs for tests: a key pair and proofs signed with it, each claim and header member
 * overridable so attack tests can build exactly the broken proof they need.
 */
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { accessTokenHash } from '../../src/rfc9449-dpop/dpop-proof.js';

export interface DpopKey {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  jkt: string;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

export interface ProofOptions {
  htm?: string;
  htu: string;
  /** Seconds; defaults to now. */
  iat?: number;
  jti?: string;
  accessToken?: string;
  nonce?: string;
  /** Header members replacing the defaults (typ, alg, jwk); undefined removes one. */
  header?: Record<string, unknown>;
  /** Claims added or replaced; undefined removes one. */
  claims?: Record<string, unknown>;
}

const withoutUndefined = (value: Record<string, unknown>) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));

export async function dpopProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const claims = withoutUndefined({
    jti: options.jti ?? randomBytes(16).toString('base64url'),
    htm: options.htm ?? 'POST',
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ath: options.accessToken === undefined ? undefined : accessTokenHash(options.accessToken),
    nonce: options.nonce,
    ...options.claims,
  });
  const header = withoutUndefined({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...options.header });
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

/** An unsigned proof (alg none), which no server may accept. */
export function unsignedProof(key: DpopKey, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk })}.${part(claims)}.`;
}
