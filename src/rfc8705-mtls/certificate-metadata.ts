/**
 * The client metadata of RFC 8705: a tls_client_auth client registers exactly one certificate
 * subject (a DN in RFC 4514 form, or one subjectAltName value); a self_signed_tls_client_auth
 * client registers its certificate's key in jwks or jwks_uri; any client may ask for
 * certificate-bound access tokens.
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2.1.2 (exactly one of the tls_client_auth_* parameters)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2.2.2 (self-signed: jwks or jwks_uri)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3.4 (tls_client_certificate_bound_access_tokens, default false)
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OAuthError } from '../errors/oauth-error.js';
import { canonicalIp } from './certificate-client-auth.js';
import { DnSyntaxError, parseDistinguishedName } from './distinguished-name.js';

export const SUBJECT_METADATA = [
  'tls_client_auth_subject_dn', 'tls_client_auth_san_dns', 'tls_client_auth_san_uri', 'tls_client_auth_san_ip', 'tls_client_auth_san_email',
] as const;

/** JSON Schema of the metadata (registration and seed file schemas spread it in). */
export const CERTIFICATE_METADATA_PROPERTIES = {
  ...Object.fromEntries(SUBJECT_METADATA.map((name) => [name, { type: 'string', minLength: 1, maxLength: 1024 }])),
  tls_client_certificate_bound_access_tokens: { type: 'boolean' },
} as Record<string, { type: string; minLength?: number; maxLength?: number }>;

const fail = (description: string, requirement = 'RFC8705-2.1.2-1') => new OAuthError('invalid_client_metadata', description, { requirement });

function checkSubjectValue(name: (typeof SUBJECT_METADATA)[number], value: string): void {
  if (value.length === 0 || value.length > 1024) throw fail(`${name} must be 1 to 1024 characters`);
  if (name === 'tls_client_auth_subject_dn') {
    try {
      parseDistinguishedName(value);
    } catch (error) {
      if (error instanceof DnSyntaxError) throw fail(`tls_client_auth_subject_dn is not an RFC 4514 DN: ${error.message}`);
      throw error;
    }
  }
  if (name === 'tls_client_auth_san_ip' && canonicalIp(value) === undefined) throw fail('tls_client_auth_san_ip must be an IPv4 or IPv6 address');
  if (name === 'tls_client_auth_san_uri' && !URL.canParse(value)) throw fail('tls_client_auth_san_uri must be an absolute URI');
  if (name === 'tls_client_auth_san_email' && !/^[^@\s]+@[^@\s]+$/.test(value)) throw fail('tls_client_auth_san_email must be an email address');
  if (name === 'tls_client_auth_san_dns' && !/^[A-Za-z0-9*]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(value)) throw fail('tls_client_auth_san_dns must be a DNS name');
}

/** Checks the RFC 8705 metadata of `input` for a client using `authMethod`; throws invalid_client_metadata. */
export function validateCertificateMetadata(input: Record<string, unknown>, authMethod: string): void {
  const present = SUBJECT_METADATA.filter((name) => input[name] !== undefined);
  for (const name of present) {
    if (typeof input[name] !== 'string') throw fail(`${name} must be a string`);
    checkSubjectValue(name, input[name] as string);
  }
  if (authMethod === 'tls_client_auth') {
    // §2.1.2: exactly one of the subject parameters, so there is one unambiguous value to compare.
    if (present.length !== 1) throw fail(`tls_client_auth needs exactly one of ${SUBJECT_METADATA.join(', ')}`);
  } else if (present.length > 0) {
    throw fail(`${present[0]} applies only to token_endpoint_auth_method tls_client_auth`);
  }
  if (authMethod === 'self_signed_tls_client_auth' && input.jwks === undefined && input.jwks_uri === undefined) {
    throw fail('self_signed_tls_client_auth requires jwks or jwks_uri holding the certificate key', 'RFC8705-2.2-1');
  }
  const bound = input.tls_client_certificate_bound_access_tokens;
  if (bound !== undefined && typeof bound !== 'boolean') throw fail('tls_client_certificate_bound_access_tokens must be a boolean', 'RFC8705-3.4-1');
}

/**
 * §2.2.2: a self-signed client's certificate registered as a JWK Set: its public key, with the
 * certificate itself in x5c. For the CLI's --tls-certificate.
 */
export function jwksFromCertificateFile(file: string): { keys: Record<string, unknown>[] } {
  const certificate = new X509Certificate(readFileSync(file));
  const jwk = certificate.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { keys: [{ ...jwk, x5c: [certificate.raw.toString('base64')] }] };
}
