import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createApp } from '../../src/server/app.js';
import { dpopKey, dpopProof, type DpopKey } from '../support/dpop-proofs.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic, postToken, SECRET } from '../support/token-fixtures.js';

const ISSUER = 'http://localhost:3000';

describe(`RFC 9449 DPoP at introspection and revocation (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  let key: DpopKey;
  const auth = { authorization: basic('rs', SECRET) };

  async function clientCredentialsToken(bindTo?: DpopKey): Promise<string> {
    const headers: Record<string, string> = { ...auth };
    if (bindTo) headers.DPoP = await dpopProof(bindTo, { htu: `${ISSUER}/token`, iat: ctx.clock() });
    return (await postToken(app, { grant_type: 'client_credentials' }, headers)).body.access_token;
  }
  const post = (path: string, form: Record<string, string>, proof?: string) => {
    const req = request(app).post(path).type('form').set(auth);
    return (proof === undefined ? req : req.set('DPoP', proof)).send(new URLSearchParams(form).toString());
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
    await createClient(ctx, { client_id: 'rs', client_secret: SECRET, grant_types: ['client_credentials'] });
    key = await dpopKey();
  });
  afterAll(() => ctx.close());

  describe('RFC 9449 §6.2 introspection of bound tokens', () => {
    it('MUST return cnf.jkt (and token_type DPoP) for a DPoP-bound token', async () => {
      const token = await clientCredentialsToken(key);
      const res = await post('/introspect', { token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
    });

    it('returns neither cnf nor token_type DPoP for a bearer token', async () => {
      const res = await post('/introspect', { token: await clientCredentialsToken() });
      expect(res.body.token_type).toBe('Bearer');
      expect(res.body.cnf).toBeUndefined();
    });
  });

  describe('RFC 9449 §4.3 proofs sent to introspection and revocation', () => {
    it('MUST check a proof sent to introspection: a valid one is accepted, an invalid one refused with invalid_dpop_proof', async () => {
      const token = await clientCredentialsToken(key);
      const valid = await post('/introspect', { token }, await dpopProof(key, { htu: `${ISSUER}/introspect`, iat: ctx.clock() }));
      expect(valid.status).toBe(200);
      expect(valid.body.active).toBe(true);
      const wrongUrl = await post('/introspect', { token }, await dpopProof(key, { htu: `${ISSUER}/token`, iat: ctx.clock() }));
      expect(wrongUrl.status).toBe(400);
      expect(wrongUrl.body.error).toBe('invalid_dpop_proof');
    });

    it('MUST check a proof sent to revocation: an invalid one revokes nothing, a valid one goes through', async () => {
      const token = await clientCredentialsToken(key);
      const stale = await post('/revoke', { token }, await dpopProof(key, { htu: `${ISSUER}/revoke`, iat: ctx.clock() - 3600 }));
      expect(stale.status).toBe(400);
      expect(stale.body.error).toBe('invalid_dpop_proof');
      expect((await post('/introspect', { token })).body.active).toBe(true);
      const valid = await post('/revoke', { token }, await dpopProof(key, { htu: `${ISSUER}/revoke`, iat: ctx.clock() }));
      expect(valid.status).toBe(200);
      expect((await post('/introspect', { token })).body.active).toBe(false);
    });
  });
});
