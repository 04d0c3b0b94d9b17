/**
 * A private_key_jwt client's key set as a key resolver: one resolver per registered key set, so
 * each key is imported once and not on every assertion; a new key set (rotation) gets its own;
 * symmetric keys in a JWK Set never verify anything.
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-3
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (jwks)
 */
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientKeySet } from '../../src/rfc7523-jwt-client-auth/client-jwks.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

const clientWith = (keys: JWK[]) => ({ clientId: 'pkjwt', metadata: { jwks: { keys } } }) as unknown as ClientRecord;

async function assertion(key: CryptoKey | Uint8Array, alg: string, kid: string): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg, kid }).setIssuer('pkjwt').setSubject('pkjwt').setAudience('https://op.example/token')
    .setIssuedAt().setExpirationTime('1m').setJti(crypto.randomUUID()).sign(key);
}

describe('client key sets for private_key_jwt', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('gives the same resolver for the same key set, and a new one for a rotated set that verifies with the new key', async () => {
    const first = await generateKeyPair('ES256');
    const keys = [{ ...(await exportJWK(first.publicKey)), kid: 'k1' }];
    const client = clientWith(keys);
    const resolver = await clientKeySet(ctx, client);
    expect(await clientKeySet(ctx, client)).toBe(resolver);
    await expect(jwtVerify(await assertion(first.privateKey, 'ES256', 'k1'), resolver)).resolves.toBeDefined();

    const second = await generateKeyPair('ES256');
    const rotated = clientWith([{ ...(await exportJWK(second.publicKey)), kid: 'k2' }]);
    const next = await clientKeySet(ctx, rotated);
    expect(next).not.toBe(resolver);
    await expect(jwtVerify(await assertion(second.privateKey, 'ES256', 'k2'), next)).resolves.toBeDefined();
    await expect(jwtVerify(await assertion(first.privateKey, 'ES256', 'k1'), next)).rejects.toThrow();
  });

  it('MUST NOT verify an HMAC assertion with an oct key placed in the JWK Set', async () => {
    const secret = new TextEncoder().encode('an-hmac-key-that-sits-in-a-jwks-0123456789');
    const oct = { kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid: 'o1' } as JWK;
    const resolver = await clientKeySet(ctx, clientWith([oct]));
    await expect(jwtVerify(await assertion(secret, 'HS256', 'o1'), resolver)).rejects.toThrow();
  });
});
