import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateClientMetadata } from '../../src/clients/client-metadata.js';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { createApp } from '../../src/server/app.js';
import { cliRig, type CliRig } from '../cli/cli-harness.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { jwksOf, makeTestPki, type TestPki } from './mtls-fixtures.js';

const validate = (input: Record<string, unknown>) => validateClientMetadata({ grant_types: ['client_credentials'], ...input }, { production: false });
const refusal = (input: Record<string, unknown>) => {
  try {
    validate(input);
  } catch (error) {
    return error instanceof OAuthError ? `${error.code}: ${error.description}` : String(error);
  }
  return 'accepted';
};

describe('RFC 8705 client metadata', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki?.close());

  describe('RFC 8705 §2.1.2 tls_client_auth', () => {
    it('MUST register exactly one of the subject parameters', () => {
      expect(refusal({ token_endpoint_auth_method: 'tls_client_auth' })).toMatch(/^invalid_client_metadata: tls_client_auth needs exactly one/);
      expect(refusal({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'a.example', tls_client_auth_san_uri: 'https://a.example' })).toMatch(/exactly one/);
      expect(refusal({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=a,O=Example' })).toBe('accepted');
      for (const [name, value] of [['tls_client_auth_san_dns', 'a.example'], ['tls_client_auth_san_uri', 'spiffe://example/a'], ['tls_client_auth_san_ip', '2001:db8::1'], ['tls_client_auth_san_email', 'a@example.com']]) {
        expect(refusal({ token_endpoint_auth_method: 'tls_client_auth', [name]: value }), name).toBe('accepted');
      }
    });

    it('refuses values that cannot match anything, and subject parameters on other methods', () => {
      expect(refusal({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'just a name' })).toMatch(/not an RFC 4514 DN/);
      expect(refusal({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_ip: '10.0.0.300' })).toMatch(/IPv4 or IPv6/);
      expect(refusal({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_uri: 'not a uri' })).toMatch(/absolute URI/);
      expect(refusal({ token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(pki.selfSigned), tls_client_auth_san_dns: 'a.example' })).toMatch(/applies only to/);
      expect(refusal({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'a.example', tls_client_certificate_bound_access_tokens: 'yes' })).toMatch(/must be a boolean/);
    });
  });

  it('RFC 8705 §2.2.2 self_signed_tls_client_auth needs jwks or jwks_uri', () => {
    expect(refusal({ token_endpoint_auth_method: 'self_signed_tls_client_auth' })).toMatch(/requires jwks or jwks_uri/);
    expect(refusal({ token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: jwksOf(pki.selfSigned) })).toBe('accepted');
  });

  describe(`RFC 7591 registration of certificate clients (${backendName})`, () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestContext({ registrationMode: 'open' });
    });
    afterAll(() => ctx?.close());

    it('registers a tls_client_auth client without a secret and keeps its subject and binding', async () => {
      const res = await request(createApp(ctx)).post('/register').send({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=client-a,O=Castellan Test,C=SE', tls_client_certificate_bound_access_tokens: true });
      expect(res.status).toBe(201);
      expect(res.body.client_secret).toBeUndefined();
      expect(res.body).toMatchObject({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=client-a,O=Castellan Test,C=SE', tls_client_certificate_bound_access_tokens: true });
    });

    it('refuses a tls_client_auth registration without a subject with invalid_client_metadata', async () => {
      const res = await request(createApp(ctx)).post('/register').send({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_client_metadata');
    });
  });

  describe('castellan clients add with certificate options', () => {
    let rig: CliRig;
    beforeAll(() => {
      rig = cliRig();
    });

    it('registers tls_client_auth with --tls-subject-dn and self_signed_tls_client_auth with --tls-certificate', async () => {
      const pkiClient = await rig.cli(['clients', 'add', '--client-id', 'mtls-1', '--grant-type', 'client_credentials', '--auth-method', 'tls_client_auth', '--tls-subject-dn', 'CN=client-a,O=Castellan Test,C=SE', '--tls-bound-access-tokens']);
      expect(pkiClient).toMatchObject({ code: 0, stderr: '' });
      expect(pkiClient.stdout).not.toMatch(/client_secret/);
      const certFile = join(pki.dir, 'self-for-cli.pem');
      writeFileSync(certFile, pki.selfSigned.cert);
      const selfSigned = await rig.cli(['clients', 'add', '--client-id', 'mtls-2', '--grant-type', 'client_credentials', '--auth-method', 'self_signed_tls_client_auth', '--tls-certificate', certFile]);
      expect(selfSigned).toMatchObject({ code: 0, stderr: '' });
      const [first, second] = await rig.withStores((stores) => Promise.all([stores.clients.find('mtls-1'), stores.clients.find('mtls-2')]));
      expect(first!.metadata).toMatchObject({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=client-a,O=Castellan Test,C=SE', tls_client_certificate_bound_access_tokens: true });
      expect(second!.metadata.jwks).toEqual(jwksOf(pki.selfSigned));
      const refused = await rig.cli(['clients', 'add', '--grant-type', 'client_credentials', '--auth-method', 'tls_client_auth']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/exactly one/);
    });
  });
});
