import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { verifyRequestObject } from '../../src/rfc9101-jar/request-object.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { createClient } from '../../src/clients/client-service.js';
import { startFaultyJwksServer } from '../support/faulty-jwks-server.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { keyedClient, requestObject, signingKey, unsignedObject, type SigningKey } from './jar-fixtures.js';

const errorOf = async (work: Promise<unknown>) => {
  try {
    await work;
    return undefined;
  } catch (error) {
    return error instanceof OAuthError ? error.code : String(error);
  }
};

describe('RFC 9101 request object verification', () => {
  let ctx: TestContext;
  let keys: Record<string, SigningKey>;
  const client = async (id: string) => (await ctx.stores.clients.find(id)) as ClientRecord;

  beforeAll(async () => {
    ctx = await createTestContext();
    keys = {};
    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) keys[alg] = await signingKey(alg);
    await keyedClient(ctx, 'free', Object.values(keys));
    await keyedClient(ctx, 'signer', [keys.ES256], { require_signed_request_object: true });
    await keyedClient(ctx, 'ps-only', [keys.PS256, keys.ES256], { request_object_signing_alg: 'PS256' });
  });
  afterAll(() => ctx.close());

  describe('§6.2 signature', () => {
    it.each(['RS256', 'PS256', 'ES256', 'EdDSA'])('MUST accept an object signed with a registered %s key', async (alg) => {
      const verified = await verifyRequestObject(ctx, await client('free'), await requestObject(ctx, keys[alg], 'free', { scope: 'openid' }));
      expect(verified.signed).toBe(true);
      expect(verified.claims.scope).toBe('openid');
    });

    it('answers 503 temporarily_unavailable with Retry-After, not invalid_request_object, while the client jwks_uri is down', async () => {
      const jwks = await startFaultyJwksServer({ keys: [keys.ES256.publicJwk] });
      try {
        await createClient(ctx, { client_id: 'jwks-down', client_secret: 'jar-suite-secret-0123456789abcdefghijklmn', redirect_uris: ['https://client.example/cb'], jwks_uri: `${jwks.base}/down` });
        const failure = await verifyRequestObject(ctx, await client('jwks-down'), await requestObject(ctx, keys.ES256, 'jwks-down')).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(OAuthError);
        expect(failure).toMatchObject({ code: 'temporarily_unavailable', status: 503, headers: { 'Retry-After': '5' } });
      } finally {
        await jwks.close();
      }
    });

    it('MUST refuse an object whose signature does not verify with the client keys', async () => {
      const impostor = { ...(await signingKey('ES256')), kid: keys.ES256.kid };
      expect(await errorOf(verifyRequestObject(ctx, await client('free'), await requestObject(ctx, impostor, 'free')))).toBe('invalid_request_object');
    });

    it('MUST refuse an algorithm other than the registered request_object_signing_alg', async () => {
      expect(await errorOf(verifyRequestObject(ctx, await client('ps-only'), await requestObject(ctx, keys.ES256, 'ps-only')))).toBe('invalid_request_object');
      expect(await errorOf(verifyRequestObject(ctx, await client('ps-only'), await requestObject(ctx, keys.PS256, 'ps-only')))).toBeUndefined();
    });

    it('MUST refuse a symmetric algorithm and a malformed JWT', async () => {
      const hmac = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"client_id":"free"}').toString('base64url')}.c2ln`;
      expect(await errorOf(verifyRequestObject(ctx, await client('free'), hmac))).toBe('invalid_request_object');
      expect(await errorOf(verifyRequestObject(ctx, await client('free'), 'not-a-jwt'))).toBe('invalid_request_object');
    });
  });

  describe('§10.5 unsigned request objects', () => {
    it('MAY accept alg none from a client that registered no algorithm and need not sign', async () => {
      const verified = await verifyRequestObject(ctx, await client('free'), unsignedObject({ client_id: 'free', scope: 'openid' }));
      expect(verified.signed).toBe(false);
    });

    it('MUST refuse alg none from a client that must sign or registered an algorithm', async () => {
      expect(await errorOf(verifyRequestObject(ctx, await client('signer'), unsignedObject({ client_id: 'signer' })))).toBe('invalid_request_object');
      expect(await errorOf(verifyRequestObject(ctx, await client('ps-only'), unsignedObject({ client_id: 'ps-only' })))).toBe('invalid_request_object');
    });

    it('MUST refuse an unsigned object that carries a signature part', async () => {
      expect(await errorOf(verifyRequestObject(ctx, await client('free'), `${unsignedObject({ client_id: 'free' })}c2ln`))).toBe('invalid_request_object');
    });
  });

  describe('§4 and §6.3 claims', () => {
    it('MUST require iss to be the client_id and aud the issuer in a signed object', async () => {
      const free = await client('free');
      expect(await errorOf(verifyRequestObject(ctx, free, await requestObject(ctx, keys.ES256, 'free', { iss: 'someone-else' })))).toBe('invalid_request_object');
      expect(await errorOf(verifyRequestObject(ctx, free, await requestObject(ctx, keys.ES256, 'free', { aud: 'https://other-server.example' })))).toBe('invalid_request_object');
      expect(await errorOf(verifyRequestObject(ctx, free, await requestObject(ctx, keys.ES256, 'free', { aud: undefined })))).toBe('invalid_request_object');
      expect(await errorOf(verifyRequestObject(ctx, free, await requestObject(ctx, keys.ES256, 'free', { aud: ['https://other.example', ctx.config.issuer] })))).toBeUndefined();
    });

    it('MUST refuse an expired object and one not valid yet', async () => {
      const free = await client('free');
      const now = ctx.clock();
      expect(await errorOf(verifyRequestObject(ctx, free, await requestObject(ctx, keys.ES256, 'free', { exp: now - 300 })))).toBe('invalid_request_object');
      expect(await errorOf(verifyRequestObject(ctx, free, await requestObject(ctx, keys.ES256, 'free', { nbf: now + 300 })))).toBe('invalid_request_object');
      expect(await errorOf(verifyRequestObject(ctx, free, unsignedObject({ client_id: 'free', exp: now - 300 })))).toBe('invalid_request_object');
      expect(await errorOf(verifyRequestObject(ctx, free, unsignedObject({ client_id: 'free', nbf: now + 300 })))).toBe('invalid_request_object');
    });

    it('MUST refuse an object whose client_id is missing or names another client', async () => {
      const free = await client('free');
      expect(await errorOf(verifyRequestObject(ctx, free, await requestObject(ctx, keys.ES256, 'free', { client_id: 'signer' })))).toBe('invalid_request_object');
      expect(await errorOf(verifyRequestObject(ctx, free, await requestObject(ctx, keys.ES256, 'free', { client_id: undefined })))).toBe('invalid_request_object');
    });
  });
});
