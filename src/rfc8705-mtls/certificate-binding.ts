/**
 * Certificate-bound tokens (RFC 8705 §3, §4): which certificate a token request binds its tokens to,
 * the cnf member that says so, and the checks where a bound token or refresh token comes back. The
 * thumbprint travels like DPoP's key thumbprint, from the token endpoint's phase through the grant to
 * `issueTokenSet`; a token may be bound by DPoP and by the certificate at once, and then both hold.
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3 (the resource MUST compare the certificate with the token's binding: 401 invalid_token)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3.1 (cnf with x5t#S256 in a JWT)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3.2 (cnf in the introspection response)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3.4 (tls_client_certificate_bound_access_tokens)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-4 (public clients' refresh tokens bound to the certificate)
 */
import type { Request } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import type { Context } from '../server/context.js';
import type { AccessTokenRecord, ClientRecord } from '../storage/stores.js';
import { certificateThumbprint, presentedCertificate } from './presented-certificate.js';

/** The confirmation claim of a bound token: cnf.jkt (RFC 9449) and cnf["x5t#S256"] (RFC 8705). */
export interface Confirmation {
  jkt?: string;
  'x5t#S256'?: string;
}

/**
 * The thumbprint the token request's tokens are bound to: that of its client certificate, when the
 * client registered tls_client_certificate_bound_access_tokens. Such a client without a
 * certificate is refused rather than given bearer tokens it did not ask for.
 */
export function tokenRequestCertificate(ctx: Context, req: Request, client: ClientRecord): string | undefined {
  if (client.metadata.tls_client_certificate_bound_access_tokens !== true) return undefined;
  const certificate = presentedCertificate(ctx, req);
  if (!certificate) throw new OAuthError('invalid_request', 'this client gets certificate-bound access tokens: make the token request with its TLS client certificate', { requirement: 'RFC8705-3.4-1' });
  return certificateThumbprint(certificate);
}

/** A certificate-bound refresh token is used only over a connection with the same certificate. */
export function checkBoundCertificate(bound: string | null | undefined, presented: string | undefined): void {
  if (!bound) return;
  if (bound !== presented) throw new OAuthError('invalid_grant', 'the refresh token is bound to another client certificate', { requirement: 'RFC8705-4-1' });
}

export function confirmation(binding: { dpopJkt?: string | null; x5tS256?: string | null }): Confirmation | undefined {
  if (!binding.dpopJkt && !binding.x5tS256) return undefined;
  return { ...(binding.dpopJkt ? { jkt: binding.dpopJkt } : {}), ...(binding.x5tS256 ? { 'x5t#S256': binding.x5tS256 } : {}) };
}

/**
 * §3: a certificate-bound access token is accepted only from a request made with that certificate.
 * `refuse` builds the resource's 401 invalid_token error in the scheme the request used.
 */
export function checkResourceCertificate(ctx: Context, req: Request, record: AccessTokenRecord, refuse: (description: string) => OAuthError): void {
  if (!record.x5tS256) return;
  const certificate = presentedCertificate(ctx, req);
  if (!certificate || certificateThumbprint(certificate) !== record.x5tS256) {
    throw refuse('The access token is bound to a TLS client certificate that this request was not made with');
  }
}
