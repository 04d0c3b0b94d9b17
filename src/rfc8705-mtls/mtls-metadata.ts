/**
 * What the provider metadata says about mutual TLS: certificate-bound access tokens are supported,
 * and, when clients use a separate host for mTLS (MTLS_BASE_URL, served by the same application),
 * the mTLS aliases of the endpoints that take client authentication or bound tokens. The two
 * client authentication methods join token_endpoint_auth_methods_supported through AUTH_METHODS.
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2.3 (tls_client_auth, self_signed_tls_client_auth in token_endpoint_auth_methods_supported)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3.3 (tls_client_certificate_bound_access_tokens)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-5 (mtls_endpoint_aliases)
 */
import type { Config } from '../config/config.js';

/** The endpoint metadata names that get an mTLS alias when the document publishes them. */
const ALIASED_ENDPOINTS = [
  'token_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'userinfo_endpoint',
  'pushed_authorization_request_endpoint', 'device_authorization_endpoint',
] as const;

/** Adds the RFC 8705 members to a finished metadata document (its endpoints are all known by then). */
export function withMtlsMetadata(config: Pick<Config, 'issuer' | 'mtlsBaseUrl'>, metadata: Record<string, unknown>): Record<string, unknown> {
  metadata.tls_client_certificate_bound_access_tokens = true;
  if (!config.mtlsBaseUrl) return metadata;
  const aliases: Record<string, string> = {};
  for (const name of ALIASED_ENDPOINTS) {
    const url = metadata[name];
    // §5: the same endpoint on the mTLS host; only endpoints of this issuer are aliased.
    if (typeof url === 'string' && url.startsWith(config.issuer)) aliases[name] = config.mtlsBaseUrl + url.slice(config.issuer.length);
  }
  metadata.mtls_endpoint_aliases = aliases;
  return metadata;
}
