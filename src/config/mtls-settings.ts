/**
 * Settings of mutual-TLS client authentication and certificate-bound tokens (RFC 8705): the trust
 * anchors of tls_client_auth, the header a TLS-terminating proxy passes the client certificate in,
 * and the separate host clients use for mTLS (published as mtls_endpoint_aliases).
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2.1 (PKI method: chain validated against trust anchors)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-5 (mtls_endpoint_aliases)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-6.5 (TLS terminated by a reverse proxy that passes the certificate on)
 */
import { existsSync } from 'node:fs';

export interface MtlsConfig {
  /** PEM bundle of the CAs whose certificates tls_client_auth accepts (MTLS_CA_FILE). */
  mtlsCaFile?: string;
  /** Lower-case name of the header a trusted proxy passes the URL-encoded PEM client certificate in (MTLS_CERTIFICATE_HEADER). */
  mtlsCertificateHeader?: string;
  /** Origin (and optional path) of the mTLS host serving the same endpoints (MTLS_BASE_URL). */
  mtlsBaseUrl?: string;
}

/** An HTTP field name (RFC 9110 §5.1 token) that is not one the server already gives a meaning. */
export function asCertificateHeader(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(raw)) return undefined;
  const name = raw.toLowerCase();
  return ['authorization', 'cookie', 'host', 'content-type', 'dpop', 'x-forwarded-for', 'x-forwarded-proto'].includes(name) ? undefined : name;
}

/** An https URL without query or fragment, kept without a trailing slash. */
export function asMtlsBaseUrl(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'https:' || url.search || url.hash || url.username || url.password) return undefined;
    return url.href.replace(/\/$/, '');
  } catch {
    return undefined;
  }
}

export function mtlsProblems(config: Partial<MtlsConfig> & { trustedProxies?: string[] }): string[] {
  const problems: string[] = [];
  if (config.mtlsCaFile && !existsSync(config.mtlsCaFile)) problems.push(`MTLS_CA_FILE ${config.mtlsCaFile} does not exist`);
  // §6.5: a certificate header is believed only from a proxy; without one it could only be forged.
  if (config.mtlsCertificateHeader && (config.trustedProxies ?? []).length === 0) problems.push('MTLS_CERTIFICATE_HEADER needs TRUSTED_PROXIES (the proxies whose certificate header is believed)');
  return problems;
}
