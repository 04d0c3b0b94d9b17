/**
 * The PKI half of tls_client_auth: the CA certificates of MTLS_CA_FILE, and the check that a client
 * certificate was issued and signed by one of them and is within its validity period at the
 * context's clock. Castellan requests client certificates without letting the TLS layer reject any
 * (browsers use the same listener), so this is where the chain is validated, for the TLS and the
 * proxy-header paths alike. Intermediate CAs belong in the bundle as well: a proxy header carries
 * the leaf only.
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2.1 (chain validated against trust anchors)
 * @spec https://www.rfc-editor.org/rfc/rfc5280#section-6.1 (signature, validity, issuer name, CA basic constraint)
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';

/** The one spelling of a PEM certificate block (a bundle here, a proxy's header in presented-certificate.ts). */
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificate blocks of `text`, in order. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERTIFICATE) ?? [];
}

/** A bundle as read: its text (the TLS listener names these CAs) and its CA certificates. */
interface Bundle {
  pem: string;
  anchors: X509Certificate[];
}

/** One bundle per file path, read once at first use, by the listener or a check (again after a restart). */
const bundles = new Map<string, Bundle>();

/** Every CA certificate of a PEM bundle; certificates that are not CAs are left out. */
export function parseTrustAnchors(pem: string): X509Certificate[] {
  return pemCertificates(pem).map((block) => new X509Certificate(block)).filter((certificate) => certificate.ca);
}

function bundle(file: string): Bundle {
  let found = bundles.get(file);
  if (!found) {
    const pem = readFileSync(file, 'utf8');
    found = { pem, anchors: parseTrustAnchors(pem) };
    bundles.set(file, found);
  }
  return found;
}

/** The text of MTLS_CA_FILE, for the TLS listener's certificate request; undefined when unset. */
export function trustAnchorPem(config: Partial<Pick<Config, 'mtlsCaFile'>>): string | undefined {
  return config.mtlsCaFile ? bundle(config.mtlsCaFile).pem : undefined;
}

export function trustAnchors(config: Partial<Pick<Config, 'mtlsCaFile'>>): X509Certificate[] {
  return config.mtlsCaFile ? bundle(config.mtlsCaFile).anchors : [];
}

const validAt = (certificate: X509Certificate, now: number) =>
  Date.parse(certificate.validFrom) <= now * 1000 && now * 1000 <= Date.parse(certificate.validTo);

/**
 * Why the certificate does not chain to an anchor valid at `now` (seconds), or undefined when it does.
 * The reason is for logs and audit only.
 */
export function chainProblem(certificate: X509Certificate, anchors: readonly X509Certificate[], now: number): string | undefined {
  if (anchors.length === 0) return 'no trust anchors are configured (MTLS_CA_FILE)';
  if (!validAt(certificate, now)) return 'the certificate is expired or not yet valid';
  if (certificate.ca) return 'a CA certificate is not a client certificate';
  const issuer = anchors.find((anchor) => certificate.checkIssued(anchor) && certificate.verify(anchor.publicKey));
  if (!issuer) return 'the certificate was not issued by a trusted CA';
  if (!validAt(issuer, now)) return 'the issuing CA certificate is expired or not yet valid';
  return undefined;
}
