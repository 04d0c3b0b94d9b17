/**
 * The metadata documents and the JWKS over HTTP: where they are served, their media types, and that
 * both well-known documents describe the same server.
 * @spec https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 * @spec https://www.rfc-editor.org/rfc/rfc8414#section-3
 * @spec https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`provider configuration and JWKS endpoints (${backendName})`, () => {
  let ctx: TestContext;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    ctx = await createTestContext();
    app = createApp(ctx);
  });
  afterAll(() => ctx.close());

  describe('OIDC Discovery §4 obtaining the configuration', () => {
    it('MUST serve the configuration at /.well-known/openid-configuration as 200 JSON', async () => {
      const res = await request(app).get('/.well-known/openid-configuration').expect(200);
      expect(res.type).toBe('application/json');
      expect(typeof res.body.issuer).toBe('string');
    });

    it('MUST answer with an issuer identical to the configured issuer, endpoints under it (§4.3)', async () => {
      const { body } = await request(app).get('/.well-known/openid-configuration').expect(200);
      expect(body.issuer).toBe(ctx.config.issuer);
      for (const name of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
        expect(body[name].startsWith(`${ctx.config.issuer}/`)).toBe(true);
      }
    });

    it('SHOULD advertise the optional features it implements: form_post and the claims parameter (§3)', async () => {
      const { body } = await request(app).get('/.well-known/openid-configuration').expect(200);
      expect(body.response_modes_supported).toEqual(expect.arrayContaining(['query', 'form_post']));
      // Absent means false (Discovery §3): a supported claims parameter must be announced.
      expect(body.claims_parameter_supported).toBe(true);
    });
  });

  describe('RFC 8414 §3 authorization server metadata', () => {
    it('MUST serve the metadata at /.well-known/oauth-authorization-server as 200 JSON (§3.2)', async () => {
      const res = await request(app).get('/.well-known/oauth-authorization-server').expect(200);
      expect(res.type).toBe('application/json');
    });

    it('MUST give the same issuer and metadata as the OpenID configuration (§3.3)', async () => {
      const oauth = await request(app).get('/.well-known/oauth-authorization-server').expect(200);
      const oidc = await request(app).get('/.well-known/openid-configuration').expect(200);
      expect(oauth.body.issuer).toBe(ctx.config.issuer);
      expect(oauth.body).toEqual(oidc.body);
    });
  });

  describe('RFC 7517 §5 JWK Set at jwks_uri', () => {
    it('MUST serve the JWK Set at jwks_uri as application/jwk-set+json', async () => {
      const { body: metadata } = await request(app).get('/.well-known/openid-configuration');
      const path = new URL(metadata.jwks_uri).pathname;
      const res = await request(app).get(path).expect(200);
      expect(res.headers['content-type']).toContain('application/jwk-set+json');
      expect(Array.isArray(JSON.parse(res.text).keys)).toBe(true);
    });

    it('MUST publish public keys only, each with a distinct kid, alg and use sig', async () => {
      const keys = JSON.parse((await request(app).get('/jwks').expect(200)).text).keys as Record<string, unknown>[];
      expect(keys.length).toBeGreaterThan(0);
      expect(new Set(keys.map((key) => key.kid)).size).toBe(keys.length);
      for (const key of keys) {
        expect(key).toMatchObject({ use: 'sig' });
        expect(typeof key.alg).toBe('string');
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(secret);
      }
    });
  });
});
