/**
 * A private_key_jwt client's key set as a key resolver: one resolver per registered key set, so
 * each key is imported once and not on every assertion; a new key set (rotation) gets its own;
 * symmetric keys in a JWK Set never verify anything.
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-3
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (jwks)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (temporarily_unavailable while the jwks_uri is down)
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { JWT_BEARER } from '../../src/rfc7523-jwt-client-auth/client-assertion.js';
import { clientKeySet, JWKS_RETRY_AFTER } from '../../src/rfc7523-jwt-client-auth/client-jwks.js';
import { createApp } from '../../src/server/app.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { startFaultyJwksServer, type FaultyJwksServer } from '../support/faulty-jwks-server.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { postToken } from '../support/token-fixtures.js';

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

describe(`private_key_jwt with a jwks_uri that fails (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  let jwksServer: FaultyJwksServer;
  let signingKey: CryptoKey;
  let otherKey: CryptoKey;

  const authenticate = async (clientId: string, key = signingKey) => {
    const now = ctx.clock();
    const jwt = await new SignJWT({ iss: clientId, sub: clientId, aud: ctx.config.issuer, iat: now, exp: now + 60, jti: randomUUID() }).setProtectedHeader({ alg: 'ES256' }).sign(key);
    return postToken(app, { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt });
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    const pair = await generateKeyPair('ES256', { extractable: true });
    signingKey = pair.privateKey;
    otherKey = (await generateKeyPair('ES256', { extractable: true })).privateKey;
    jwksServer = await startFaultyJwksServer({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1' }] });
    const uris = { 'pk-ok': `${jwksServer.base}/jwks`, 'pk-down': `${jwksServer.base}/down`, 'pk-garbled': `${jwksServer.base}/garbled`, 'pk-hang': `${jwksServer.base}/hang`, 'pk-refused': jwksServer.refusedUrl };
    for (const [clientId, jwks_uri] of Object.entries(uris)) {
      await createClient(ctx, { client_id: clientId, grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri });
    }
  });
  afterAll(async () => {
    await jwksServer.close();
    await ctx.close();
  });

  /** The client authentication events of `clientId`: a fault, or a failed attempt. */
  const authEvents = (clientId: string) => ctx.stores.audit.list({ clientId, types: ['client.auth_failed', 'client.keys_unavailable'] });

  const expectUnavailable = async (clientId: string) => {
    const res = await authenticate(clientId);
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('temporarily_unavailable');
    expect(res.headers['retry-after']).toBe(String(JWKS_RETRY_AFTER));
    const events = await authEvents(clientId);
    expect(events.map((event) => event.type)).toEqual(['client.keys_unavailable']);
    expect(events[0].details?.jwks_uri).toMatch(/^http:\/\/127\.0\.0\.1:/);
  };

  it('answers 503 temporarily_unavailable with Retry-After, audited as client.keys_unavailable, when the jwks_uri answers 500', () => expectUnavailable('pk-down'));
  it('answers 503 temporarily_unavailable when the jwks_uri refuses the connection', () => expectUnavailable('pk-refused'));
  it('answers 503 temporarily_unavailable when the jwks_uri answers a body that is not JSON', () => expectUnavailable('pk-garbled'));
  it('answers 503 temporarily_unavailable when the jwks_uri does not answer within the outbound timeout', () => expectUnavailable('pk-hang'), 15_000);

  it('MUST still answer 401 invalid_client when the jwks_uri answers but holds no key that verifies the assertion', async () => {
    const res = await authenticate('pk-ok', otherKey);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect((await authEvents('pk-ok')).map((event) => event.type)).toEqual(['client.auth_failed']);
    expect((await authenticate('pk-ok')).status).toBe(200);
  });
});
