import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateClientMetadata } from '../../src/clients/client-metadata.js';
import { validateSeed } from '../../src/seed/seed-file.js';
import { cliRig } from '../cli/cli-harness.js';
import { backendName, createTestContextWithApp, type TestContext } from '../support/test-context.js';

const REDIRECT = 'https://rp.example/cb';

describe(`RFC 9449 §5.1 and §5.2 metadata (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  beforeAll(async () => {
    ({ ctx, app } = await createTestContextWithApp({ rateLimitEnabled: false }));
  });
  afterAll(() => ctx.close());

  describe('RFC 9449 §5.1 dpop_signing_alg_values_supported', () => {
    it('MUST publish the asymmetric algorithms accepted for proofs, and neither none nor a MAC', async () => {
      const metadata = (await request(app).get('/.well-known/openid-configuration').expect(200)).body;
      expect(metadata.dpop_signing_alg_values_supported).toEqual(['ES256', 'ES384', 'PS256', 'PS384', 'RS256', 'EdDSA']);
      const asMetadata = (await request(app).get('/.well-known/oauth-authorization-server').expect(200)).body;
      expect(asMetadata.dpop_signing_alg_values_supported).toEqual(metadata.dpop_signing_alg_values_supported);
    });
  });

  describe('RFC 9449 §5.2 dpop_bound_access_tokens client metadata', () => {
    it('accepts a boolean and refuses anything else with invalid_client_metadata', () => {
      const base = { redirect_uris: [REDIRECT] };
      expect(validateClientMetadata({ ...base, dpop_bound_access_tokens: true }, { production: false }).dpop_bound_access_tokens).toBe(true);
      expect(validateClientMetadata(base, { production: false }).dpop_bound_access_tokens).toBeUndefined();
      expect(() => validateClientMetadata({ ...base, dpop_bound_access_tokens: 'yes' }, { production: false })).toThrow(/dpop_bound_access_tokens must be a boolean/);
    });

    it('is accepted at dynamic registration and refused there when not a boolean', async () => {
      const register = (body: unknown) => request(app).post('/register').set('content-type', 'application/json').send(JSON.stringify(body));
      const registered = await register({ redirect_uris: [REDIRECT], dpop_bound_access_tokens: true });
      expect(registered.status).toBe(201);
      expect(registered.body.dpop_bound_access_tokens).toBe(true);
      expect((await ctx.stores.clients.find(registered.body.client_id))?.metadata.dpop_bound_access_tokens).toBe(true);
      const refused = await register({ redirect_uris: [REDIRECT], dpop_bound_access_tokens: 'true' });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_client_metadata');
    });

    it('is accepted in the seed file, as a boolean only', () => {
      const seed = (value: unknown) => ({ clients: [{ client_id: 'seeded', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT], dpop_bound_access_tokens: value }] });
      const options = { production: false, passwordMinLength: 12 };
      expect(validateSeed(seed(true), options).clients?.[0]).toMatchObject({ dpop_bound_access_tokens: true });
      expect(() => validateSeed(seed('yes'), options)).toThrow(/dpop_bound_access_tokens/);
    });

    it('is set by castellan clients add --dpop-bound-access-tokens', async () => {
      const rig = cliRig();
      const added = await rig.cli(['clients', 'add', '--json', '--client-id', 'dpop-cli', '--redirect-uri', REDIRECT, '--dpop-bound-access-tokens']);
      expect(added.code).toBe(0);
      expect(JSON.parse(added.stdout)).toMatchObject({ client_id: 'dpop-cli', dpop_bound_access_tokens: true });
      expect((await rig.withStores((stores) => stores.clients.find('dpop-cli')))?.metadata.dpop_bound_access_tokens).toBe(true);
    });
  });
});
