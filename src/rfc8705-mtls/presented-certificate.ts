/**
 * Where the client certificate of a request comes from: the TLS connection when Castellan terminates
 * TLS itself, or, behind a TLS-terminating proxy, the header it is passed in (MTLS_CERTIFICATE_HEADER,
 * a URL-encoded PEM such as nginx's $ssl_client_escaped_cert). The header is believed only when the
 * connection comes from one of TRUSTED_PROXIES: anyone else could write any certificate into it, so
 * from them it is ignored and the attempt audited.
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2 (the certificate of the mutually authenticated TLS connection)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-6.5 (TLS terminated by a proxy: the certificate passed on in a header it alone may set)
 * @spec https://openid.net/specs/fapi-2_0-attacker-model.html (A1: the attacker sends arbitrary requests to the AS)
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import type { Context } from '../server/context.js';
import { auditQuietly } from '../security/audit.js';
import { proxiesOf } from '../security/client-ip.js';
import { pemCertificates } from './trust-anchors.js';

/** A PEM certificate chain of a few certificates fits; anything longer is not a certificate header. */
const MAX_HEADER_LENGTH = 16_384;

/** Per request: undefined until read, null when the request has no (believable) certificate. */
const seen = new WeakMap<Request, X509Certificate | null>();

/** The leaf certificate of a URL-encoded (or plain) PEM header value; undefined when it is none. */
export function certificateFromHeader(value: string): X509Certificate | undefined {
  if (value.length === 0 || value.length > MAX_HEADER_LENGTH) return undefined;
  let text: string;
  try {
    text = value.includes('%') ? decodeURIComponent(value) : value;
  } catch {
    return undefined;
  }
  const pem = pemCertificates(text)[0];
  if (!pem) return undefined;
  try {
    // Proxies that cannot send newlines in a header replace them with spaces or tabs.
    const body = pem.slice(27, -25).replace(/\s+/g, '');
    return new X509Certificate(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`);
  } catch {
    return undefined;
  }
}

function readCertificate(ctx: Context, req: Request): X509Certificate | undefined {
  const headerName = ctx.config.mtlsCertificateHeader;
  const header = headerName ? req.headers[headerName] : undefined;
  if (headerName && proxiesOf(ctx.config).contains(req.socket?.remoteAddress)) {
    // Behind the proxy the proxy's word is all there is: no header means no client certificate,
    // never the proxy's own certificate on its connection to us.
    if (typeof header !== 'string' || header === '') return undefined;
    const certificate = certificateFromHeader(header);
    if (!certificate) ctx.logger.warn({ header: headerName }, 'a trusted proxy sent a client certificate header that is not a PEM certificate');
    return certificate;
  }
  if (header !== undefined) {
    // §6.5: only the terminating proxy may say which certificate the client presented.
    auditQuietly(ctx, req, { type: 'mtls.certificate_header_ignored', details: { header: headerName, peer: req.socket?.remoteAddress ?? null } });
  }
  const socket = req.socket as TLSSocket | undefined;
  if (!socket || socket.encrypted !== true || typeof socket.getPeerX509Certificate !== 'function') return undefined;
  return socket.getPeerX509Certificate() ?? undefined;
}

/** The client certificate the request was made with, or undefined; read once per request. */
export function presentedCertificate(ctx: Context, req: Request): X509Certificate | undefined {
  const known = seen.get(req);
  if (known !== undefined) return known ?? undefined;
  const certificate = readCertificate(ctx, req);
  seen.set(req, certificate ?? null);
  return certificate;
}

/** RFC 8705 §3.1: x5t#S256, the base64url SHA-256 of the certificate's DER encoding. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}
