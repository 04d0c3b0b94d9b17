/**
 * Authenticates the client at the token endpoint with exactly one method, the one it registered:
 * HTTP Basic, secret in the body, a JWT assertion (RFC 7523), or none for a public client.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-2.3 (MUST NOT use more than one method per request)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 (Basic credentials are form-urlencoded first)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (invalid_client, 401 with WWW-Authenticate after Basic)
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (token_endpoint_auth_method)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2 (tls_client_auth, self_signed_tls_client_auth: rfc8705-mtls/)
 */
import type { X509Certificate } from 'node:crypto';
import type { Request } from 'express';
import { secretMatches } from '../clients/client-service.js';
import { challengeHeader, OAuthError } from '../errors/oauth-error.js';
import { ILL_FORMED_TEXT, isWellFormedEncoded, utf8Text } from '../http/text-input.js';
import { authenticateWithAssertion } from '../rfc7523-jwt-client-auth/client-assertion.js';
import { authenticateWithCertificate, usesCertificateAuth } from '../rfc8705-mtls/certificate-client-auth.js';
import { presentedCertificate } from '../rfc8705-mtls/presented-certificate.js';
import { validateParams, type Params } from '../schema/validator.js';
import { auditedClientAuthentication, type ClientAuthFailureCause } from '../security/audit-client-auth.js';
import type { Context } from '../server/context.js';
import type { ClientMetadata, ClientRecord } from '../storage/stores.js';
import { clientAuthenticationSchema, type ClientAuthenticationParams } from './client-authentication.schema.js';

export type AuthMethod = ClientMetadata['token_endpoint_auth_method'];

export interface AuthenticatedClient {
  client: ClientRecord;
  method: AuthMethod;
}

export interface PresentedCredentials {
  /** The Authorization header, if any. */
  authorization?: string;
  /** The raw token request parameters. */
  params: Params;
  /**
   * RFC 8705: reads the TLS client certificate of the request (rfc8705-mtls/presented-certificate.ts);
   * called only for a client that authenticates with one, so other requests never parse it.
   */
  certificate?: () => X509Certificate | undefined;
}

const BASIC_CHALLENGE = { 'WWW-Authenticate': challengeHeader({ scheme: 'Basic', realm: 'castellan' }) };
const GENERIC_FAILURE = 'client authentication failed';

/** `cause` tells the audit log an unknown client from a wrong secret; the client sees neither. */
const failure = (description: string, basic: boolean, requirement: string, cause?: ClientAuthFailureCause) =>
  new OAuthError('invalid_client', description, { requirement, cause, status: 401, headers: basic ? BASIC_CHALLENGE : {} });

/**
 * RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding, so decode them back.
 * Undefined when the header is not Basic syntax; invalid_request when the credentials are not UTF-8
 * text (raw or percent-encoded) or hold NUL, the same rule as for form parameters.
 */
export function parseBasicCredentials(header: string): { clientId: string; secret: string } | undefined {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match) return undefined;
  const decoded = utf8Text(Buffer.from(match[1], 'base64'));
  if (decoded === undefined || !isWellFormedEncoded(decoded)) throw new OAuthError('invalid_request', ILL_FORMED_TEXT, { requirement: 'RFC6749-5.2-7' });
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
  try {
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (clientId.length === 0 || clientId.length > 255 || secret.length > 512) return undefined;
    return { clientId, secret };
  } catch {
    return undefined;
  }
}

function requireRegisteredMethod(client: ClientRecord, used: AuthMethod, basic: boolean): void {
  if (client.metadata.token_endpoint_auth_method !== used) {
    throw failure(`the client must authenticate with its registered method ${client.metadata.token_endpoint_auth_method}`, basic, 'RFC6749-2.3-2');
  }
}

export async function authenticateClient(ctx: Context, presented: PresentedCredentials): Promise<AuthenticatedClient> {
  const input = validateParams<ClientAuthenticationParams>(clientAuthenticationSchema, presented.params);
  const basic = presented.authorization !== undefined && /^basic(\s|$)/i.test(presented.authorization);
  const assertion = input.client_assertion !== undefined || input.client_assertion_type !== undefined;
  const attempted = [basic, input.client_secret !== undefined, assertion].filter(Boolean).length;
  // RFC 6749 §2.3: the client MUST NOT use more than one authentication method in each request.
  if (attempted > 1) throw new OAuthError('invalid_request', 'use exactly one client authentication method', { requirement: 'RFC6749-2.3-1' });

  if (basic) {
    const credentials = parseBasicCredentials(presented.authorization as string);
    if (!credentials) throw failure('malformed Basic credentials', true, 'RFC6749-2.3.1-1');
    if (input.client_id !== undefined && input.client_id !== credentials.clientId) {
      throw new OAuthError('invalid_request', 'client_id does not match the Authorization header', { requirement: 'RFC6749-2.3-1' });
    }
    const client = await ctx.stores.clients.find(credentials.clientId);
    if (!client) throw failure(GENERIC_FAILURE, true, 'RFC6749-3.2.1-1', 'unknown_client');
    requireRegisteredMethod(client, 'client_secret_basic', true);
    if (!secretMatches(client, credentials.secret)) throw failure(GENERIC_FAILURE, true, 'RFC6749-3.2.1-1', 'wrong_secret');
    return { client, method: 'client_secret_basic' };
  }

  if (assertion) {
    if (input.client_assertion === undefined || input.client_assertion_type === undefined) {
      throw new OAuthError('invalid_request', 'client_assertion and client_assertion_type are sent together', { requirement: 'RFC7523-2.2-1' });
    }
    const client = await authenticateWithAssertion(ctx, { assertionType: input.client_assertion_type, assertion: input.client_assertion, clientId: input.client_id });
    return { client, method: client.metadata.token_endpoint_auth_method };
  }

  if (input.client_id === undefined) throw failure('client authentication is required', false, 'RFC6749-3.2.1-2');
  const client = await ctx.stores.clients.find(input.client_id);
  if (!client) throw failure(GENERIC_FAILURE, false, 'RFC6749-3.2.1-1', 'unknown_client');
  if (input.client_secret === undefined) {
    // RFC 8705 §2: client_id names the client, its TLS certificate authenticates it.
    if (usesCertificateAuth(client.metadata)) return { client, method: await authenticateWithCertificate(ctx, client, presented.certificate?.()) };
    // A public client identifies itself with client_id alone; a confidential one must prove itself.
    requireRegisteredMethod(client, 'none', false);
    return { client, method: 'none' };
  }
  requireRegisteredMethod(client, 'client_secret_post', false);
  if (!secretMatches(client, input.client_secret)) throw failure(GENERIC_FAILURE, false, 'RFC6749-3.2.1-1', 'wrong_secret');
  return { client, method: 'client_secret_post' };
}

/**
 * The client of a request to an endpoint that authenticates clients (token, PAR, introspection,
 * revocation, device authorization): from its Authorization header, its parameters and, read only
 * for a client that authenticates with one, its TLS certificate; a failure is audited.
 */
export function authenticateRequestClient(ctx: Context, req: Request, params: Params): Promise<AuthenticatedClient> {
  return auditedClientAuthentication(ctx, req, () => authenticateClient(ctx, { authorization: req.get('authorization'), params, certificate: () => presentedCertificate(ctx, req) }));
}
