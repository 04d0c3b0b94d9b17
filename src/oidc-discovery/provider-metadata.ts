/**
 * The provider metadata document, shared by OIDC Discovery and RFC 8414. Only registered metadata
 * names appear (IANA "OAuth Authorization Server Metadata" registry).
 * @spec https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 * @spec https://www.rfc-editor.org/rfc/rfc8414#section-2
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-5 (mtls_endpoint_aliases: rfc8705-mtls/mtls-metadata.ts)
 */
import type { Config } from '../config/config.js';
import { AUTH_METHODS, GRANT_TYPES } from '../clients/client-metadata.js';
import { SUPPORTED_CLAIMS, SUPPORTED_SCOPES } from '../oidc-core/claims.js';
import { withMtlsMetadata } from '../rfc8705-mtls/mtls-metadata.js';
import { SUPPORTED_ALGS } from '../tokens/keystore.js';

/** Paths of the endpoints; other modules import these so routes and metadata cannot disagree. */
export const PATHS = {
  authorization: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
  jwks: '/jwks',
  introspection: '/introspect',
  revocation: '/revoke',
  registration: '/register',
  endSession: '/logout',
  discovery: '/.well-known/openid-configuration',
  asMetadata: '/.well-known/oauth-authorization-server',
  deviceAuthorization: '/device_authorization',
  deviceVerification: '/device',
  pushedAuthorization: '/par',
} as const;

/** JWS algorithms accepted for client assertions, wherever clients authenticate (token, introspection, revocation). */
export const CLIENT_AUTH_SIGNING_ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** Extensions (revocation, introspection, registration, logout) add their entries here. */
export type MetadataContributor = (config: Config) => Record<string, unknown>;
const contributors: MetadataContributor[] = [];

export function contributeMetadata(contributor: MetadataContributor): void {
  contributors.push(contributor);
}

export function providerMetadata(config: Config): Record<string, unknown> {
  const base = config.issuer;
  const metadata: Record<string, unknown> = {
    issuer: base,
    authorization_endpoint: base + PATHS.authorization,
    token_endpoint: base + PATHS.token,
    userinfo_endpoint: base + PATHS.userinfo,
    jwks_uri: base + PATHS.jwks,
    scopes_supported: SUPPORTED_SCOPES,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [...GRANT_TYPES],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...SUPPORTED_ALGS],
    // Unsigned JSON is the default for a client that registers no alg, so `none` is not listed.
    userinfo_signing_alg_values_supported: [...SUPPORTED_ALGS],
    token_endpoint_auth_methods_supported: [...AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_AUTH_SIGNING_ALGS],
    claims_supported: SUPPORTED_CLAIMS,
    claim_types_supported: ['normal'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
  };
  for (const contributor of contributors) Object.assign(metadata, contributor(config));
  // RFC 8705 §3.3 and §5: last, as the mTLS aliases mirror whichever endpoints the document has.
  return withMtlsMetadata(config, metadata);
}
