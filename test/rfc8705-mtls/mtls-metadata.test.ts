import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { providerMetadata } from '../../src/oidc-discovery/provider-metadata.js';

const config = (env: Record<string, string> = {}) => loadConfig({ ISSUER: 'https://id.example', ...env }, { databaseUrl: 'sqlite::memory:' });

describe('RFC 8705 authorization server metadata', () => {
  it('RFC 8705 §2.3 lists tls_client_auth and self_signed_tls_client_auth in token_endpoint_auth_methods_supported', () => {
    const metadata = providerMetadata(config());
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']));
  });

  it('RFC 8705 §3.3 announces tls_client_certificate_bound_access_tokens', () => {
    expect(providerMetadata(config()).tls_client_certificate_bound_access_tokens).toBe(true);
  });

  it('RFC 8705 §5 publishes mtls_endpoint_aliases on MTLS_BASE_URL for the endpoints that take client certificates', () => {
    expect(providerMetadata(config()).mtls_endpoint_aliases).toBeUndefined();
    const metadata = providerMetadata(config({ MTLS_BASE_URL: 'https://mtls.id.example/' }));
    const aliases = metadata.mtls_endpoint_aliases as Record<string, string>;
    expect(aliases.token_endpoint).toBe('https://mtls.id.example/token');
    expect(aliases.userinfo_endpoint).toBe('https://mtls.id.example/userinfo');
    for (const name of ['revocation_endpoint', 'introspection_endpoint', 'device_authorization_endpoint']) {
      if (typeof metadata[name] === 'string') expect(aliases[name]).toBe((metadata[name] as string).replace('https://id.example', 'https://mtls.id.example'));
    }
    // The authorization and registration endpoints never take a client certificate.
    expect(aliases.authorization_endpoint).toBeUndefined();
    expect(aliases.registration_endpoint).toBeUndefined();
  });

  it('checks the mTLS settings', () => {
    expect(() => config({ MTLS_BASE_URL: 'http://mtls.id.example' })).toThrow(/MTLS_BASE_URL/);
    expect(() => config({ MTLS_CERTIFICATE_HEADER: 'X-SSL-Client-Cert' })).toThrow(/MTLS_CERTIFICATE_HEADER needs TRUSTED_PROXIES/);
    expect(() => config({ MTLS_CERTIFICATE_HEADER: 'Authorization', TRUSTED_PROXIES: '10.0.0.1' })).toThrow(/MTLS_CERTIFICATE_HEADER/);
    expect(() => config({ MTLS_CA_FILE: '/nonexistent/ca.pem' })).toThrow(/MTLS_CA_FILE/);
    expect(config({ MTLS_CERTIFICATE_HEADER: 'X-SSL-Client-Cert', TRUSTED_PROXIES: '10.0.0.1' }).mtlsCertificateHeader).toBe('x-ssl-client-cert');
  });
});
