/**
 * Clients with signing keys and request objects signed by them, for the RFC 9101 tests: every
 * claim overridable, and unsigned (alg none) objects for the clients allowed to send them.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createClient } from '../../src/clients/client-service.js';
import type { Context } from '../../src/server/context.js';
import { REDIRECT_URI } from '../support/browser-flow.js';

export interface SigningKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

let counter = 0;

export async function signingKey(alg = 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  counter += 1;
  const kid = `k${counter}`;
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

/** A confidential client with `keys` registered inline, plus `metadata`. */
export async function keyedClient(ctx: Context, clientId: string, keys: SigningKey[], metadata: Record<string, unknown> = {}) {
  await createClient(ctx, {
    client_id: clientId, client_secret: 'jar-suite-secret-0123456789abcdefghijklmn', redirect_uris: [REDIRECT_URI],
    jwks: { keys: keys.map((key) => key.publicJwk) }, ...metadata,
  });
}

const undefinedRemoved = (value: Record<string, unknown>) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));

/** Signs `claims` (undefined removes one) with `key`; iss, aud, client_id, exp, nbf default to valid values. */
export function requestObject(ctx: Context, key: SigningKey, clientId: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = ctx.clock();
  const payload = undefinedRemoved({ iss: clientId, aud: ctx.config.issuer, client_id: clientId, exp: now + 300, nbf: now, iat: now, ...claims });
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'oauth-authz-req+jwt', ...header } as { alg: string }).sign(key.privateKey);
}

/** An unsigned request object (alg none). */
export function unsignedObject(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}
