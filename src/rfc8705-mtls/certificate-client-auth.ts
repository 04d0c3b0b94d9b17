/**
 * Client authentication by the TLS client certificate (RFC 8705 §2): `tls_client_auth`, where a
 * trusted CA issued the certificate and its subject (DN or one subjectAltName) is the one the client
 * registered, and `self_signed_tls_client_auth`, where the certificate's public key is one of the
 * client's registered keys (jwks or jwks_uri, the JWK itself or its x5c certificate). The client
 * names itself with client_id; the certificate proves it.
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2 (client_id identifies the client, the certificate authenticates it)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2.1 (PKI method: chain validation and the registered subject)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2.1.2 (subject DN per RFC 4514; SAN dNSName, URI, iPAddress, rfc822Name)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2.2 (self-signed method: the certificate matches a registered one)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-7.5 (certificate spoofing: match the registered value exactly)
 */
import { createPublicKey, X509Certificate, type JsonWebKey } from 'node:crypto';
import { isIP } from 'node:net';
import { OAuthError } from '../errors/oauth-error.js';
import { clientPublicKeys } from '../rfc7523-jwt-client-auth/client-jwks.js';
import type { Context } from '../server/context.js';
import type { ClientMetadata, ClientRecord } from '../storage/stores.js';
import { certificateSubject, parseDistinguishedName, sameDistinguishedName } from './distinguished-name.js';
import { chainProblem, trustAnchors } from './trust-anchors.js';

export const CERTIFICATE_AUTH_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'] as const;
export type CertificateAuthMethod = (typeof CERTIFICATE_AUTH_METHODS)[number];

export const usesCertificateAuth = (metadata: Pick<ClientMetadata, 'token_endpoint_auth_method'>): boolean =>
  (CERTIFICATE_AUTH_METHODS as readonly string[]).includes(metadata.token_endpoint_auth_method);

const refuse = (description: string, requirement: string, cause?: string) =>
  new OAuthError('invalid_client', description, { status: 401, requirement, cause: cause ? new Error(cause) : undefined });

/** The names of one kind in the certificate's subjectAltName, as Node prints it (quoted when ambiguous). */
export function subjectAltNames(certificate: X509Certificate, kind: 'DNS' | 'URI' | 'IP Address' | 'email'): string[] {
  const names: string[] = [];
  const entry = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (const match of (certificate.subjectAltName ?? '').matchAll(entry)) {
    if (match[1] !== kind) continue;
    names.push(match[2].startsWith('"') ? (JSON.parse(match[2]) as string) : match[2]);
  }
  return names;
}

/** One spelling per IP address: IPv6 compressed and lower-cased (Node prints it uncompressed). */
export function canonicalIp(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return ip;
  return family === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : undefined;
}

const sameEmail = (a: string, b: string) => {
  const at = a.lastIndexOf('@');
  return at > 0 && a.slice(0, at) === b.slice(0, b.lastIndexOf('@')) && a.slice(at).toLowerCase() === b.slice(b.lastIndexOf('@')).toLowerCase();
};

/** RFC 8705 §2.1.2: the one registered subject value, compared with the certificate's. */
export function matchesRegisteredSubject(certificate: X509Certificate, metadata: ClientMetadata): boolean {
  if (metadata.tls_client_auth_subject_dn !== undefined) {
    return sameDistinguishedName(certificateSubject(certificate), parseDistinguishedName(metadata.tls_client_auth_subject_dn));
  }
  if (metadata.tls_client_auth_san_dns !== undefined) {
    const expected = metadata.tls_client_auth_san_dns.toLowerCase();
    return subjectAltNames(certificate, 'DNS').some((name) => name.toLowerCase() === expected);
  }
  if (metadata.tls_client_auth_san_uri !== undefined) return subjectAltNames(certificate, 'URI').includes(metadata.tls_client_auth_san_uri);
  if (metadata.tls_client_auth_san_ip !== undefined) {
    const expected = canonicalIp(metadata.tls_client_auth_san_ip);
    return expected !== undefined && subjectAltNames(certificate, 'IP Address').some((ip) => canonicalIp(ip) === expected);
  }
  if (metadata.tls_client_auth_san_email !== undefined) {
    const expected = metadata.tls_client_auth_san_email;
    return subjectAltNames(certificate, 'email').some((email) => sameEmail(email, expected));
  }
  return false;
}

const spki = (key: ReturnType<typeof createPublicKey>) => key.export({ type: 'spki', format: 'der' });

/** RFC 8705 §2.2: the certificate's key is a registered JWK (or the key of its x5c certificate). */
export function matchesRegisteredKey(certificate: X509Certificate, keys: readonly JsonWebKey[]): boolean {
  const presented = spki(certificate.publicKey);
  return keys.some((jwk) => {
    try {
      const x5c = Array.isArray(jwk.x5c) && typeof jwk.x5c[0] === 'string' ? new X509Certificate(Buffer.from(jwk.x5c[0], 'base64')) : undefined;
      if (x5c && spki(x5c.publicKey).equals(presented)) return true;
      return jwk.kty !== 'oct' && spki(createPublicKey({ key: jwk, format: 'jwk' })).equals(presented);
    } catch {
      return false;
    }
  });
}

async function selfSignedMatch(ctx: Context, client: ClientRecord, certificate: X509Certificate): Promise<boolean> {
  if (matchesRegisteredKey(certificate, (await clientPublicKeys(ctx, client)) as JsonWebKey[])) return true;
  // A client that rotated its certificate published the new key at its jwks_uri: ask once more.
  return client.metadata.jwks_uri !== undefined && matchesRegisteredKey(certificate, (await clientPublicKeys(ctx, client, true)) as JsonWebKey[]);
}

/** Authenticates `client` by the request's certificate with its registered method, or throws invalid_client. */
export async function authenticateWithCertificate(ctx: Context, client: ClientRecord, certificate: X509Certificate | undefined): Promise<CertificateAuthMethod> {
  const method = client.metadata.token_endpoint_auth_method as CertificateAuthMethod;
  if (!certificate) throw refuse(`the client authenticates with ${method}: present its TLS client certificate`, 'RFC8705-2-1');
  if (method === 'tls_client_auth') {
    const problem = chainProblem(certificate, trustAnchors(ctx.config), ctx.clock());
    if (problem) throw refuse('the client certificate is not trusted', 'RFC8705-2.1-1', problem);
    if (!matchesRegisteredSubject(certificate, client.metadata)) throw refuse('the client certificate does not match the registered subject', 'RFC8705-2.1.2-2');
    return method;
  }
  let matched: boolean;
  try {
    matched = await selfSignedMatch(ctx, client, certificate);
  } catch (error) {
    // An outage of the client's jwks_uri is 503 temporarily_unavailable (client-jwks.ts), not bad credentials.
    if (error instanceof OAuthError) throw error;
    throw refuse('the client keys could not be read', 'RFC8705-2.2-1', (error as Error).message);
  }
  if (!matched) throw refuse('the client certificate is not one the client registered', 'RFC8705-2.2-1');
  return method;
}
