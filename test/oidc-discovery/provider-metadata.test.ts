/**
 * The content of the provider metadata: the members the specs require, values they forbid, and
 * agreement between what is advertised and what the server does.
 * @spec https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 * @spec https://www.rfc-editor.org/rfc/rfc8414#section-2
 * @spec https://www.rfc-editor.org/rfc/rfc9207#section-3
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { providerMetadata } from '../../src/oidc-discovery/provider-metadata.js';
import { supportedGrantTypes } from '../../src/server/grant-registry.js';
// Imported for their metadata contributions, as app.ts imports them.
import '../../src/server/app.js';

const config = loadConfig({}, { issuer: 'https://id.example', logLevel: 'silent' });
const metadata = providerMetadata(config);

describe('OIDC Discovery §3 provider metadata', () => {
  it('MUST include every REQUIRED member', () => {
    for (const name of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported']) {
      expect(metadata, name).toHaveProperty(name);
    }
  });

  it('MUST list RS256 among the ID token signing algorithms', () => {
    expect(metadata.id_token_signing_alg_values_supported).toContain('RS256');
  });

  it('MUST NOT offer none for token endpoint client assertions (also RFC 8414 §2)', () => {
    for (const name of ['token_endpoint_auth_signing_alg_values_supported', 'revocation_endpoint_auth_signing_alg_values_supported', 'introspection_endpoint_auth_signing_alg_values_supported']) {
      expect(metadata[name], name).toBeInstanceOf(Array);
      expect(metadata[name], name).not.toContain('none');
    }
  });

  it('SHOULD list the openid scope and the userinfo endpoint', () => {
    expect(metadata.scopes_supported).toContain('openid');
    expect(metadata.userinfo_endpoint).toBe('https://id.example/userinfo');
  });

  it('MUST describe the subject types it issues: public only', () => {
    expect(metadata.subject_types_supported).toEqual(['public']);
  });
});

describe('RFC 8414 §2 authorization server metadata', () => {
  it('MUST list only the response type code, the code flow being the only one supported', () => {
    expect(metadata.response_types_supported).toEqual(['code']);
  });

  it('MUST advertise exactly the grant types the token endpoint accepts', () => {
    expect([...(metadata.grant_types_supported as string[])].sort()).toEqual(supportedGrantTypes().sort());
  });

  it('MUST advertise S256 as the only PKCE method (RFC 7636 §4.2, RFC 9700 §2.1.1)', () => {
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('MUST advertise the revocation and introspection endpoints, without none for introspection', () => {
    expect(metadata.revocation_endpoint).toBe('https://id.example/revoke');
    expect(metadata.introspection_endpoint).toBe('https://id.example/introspect');
    expect(metadata.introspection_endpoint_auth_methods_supported).not.toContain('none');
  });
});

describe('RFC 9207 §3 authorization server metadata', () => {
  it('MUST announce that every authorization response carries iss', () => {
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  });
});
