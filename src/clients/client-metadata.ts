/**
 * Validates client metadata (from the CLI, the seed file, or registration later) into the stored
 * form, with the RFC 7591 error codes.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (metadata and defaults)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2 (redirect URIs are absolute, without fragment)
 * @spec https://www.rfc-editor.org/rfc/rfc8252#section-7.3 (loopback redirect URIs for native clients)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-2.1 (no implicit or password grants)
 */
import { OAuthError } from '../errors/oauth-error.js';
import type { ClientMetadata } from '../storage/stores.js';

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'] as const;
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

const fail = (description: string) => new OAuthError('invalid_client_metadata', description);
const failRedirect = (description: string) => new OAuthError('invalid_redirect_uri', description);

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

export function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === '[::1]';
}

export function checkRedirectUri(uri: string, applicationType: 'web' | 'native', production: boolean): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw failRedirect(`redirect_uri ${uri} is not an absolute URI`);
  }
  if (uri.includes('#')) throw failRedirect('redirect_uri must not contain a fragment');
  if (['javascript:', 'data:', 'vbscript:', 'file:'].includes(url.protocol)) throw failRedirect(`redirect_uri scheme ${url.protocol} is not allowed`);
  if (!production) return;
  if (url.protocol === 'https:') {
    if (url.hostname === 'localhost') throw failRedirect('redirect_uri must not use localhost in production');
    return;
  }
  if (applicationType === 'native' && url.protocol === 'http:' && isLoopbackHost(url.hostname)) return;
  if (applicationType === 'native' && url.protocol !== 'http:' && url.protocol.includes('.')) return; // private-use scheme, RFC 8252 §7.1
  throw failRedirect('redirect_uri must be https in production (native clients may use loopback IPs)');
}

/** Returns normalised metadata with RFC 7591 defaults applied; throws on anything inconsistent. */
export function validateClientMetadata(input: Record<string, unknown>, options: { production: boolean }): ClientMetadata {
  const applicationType = (input.application_type ?? 'web') as ClientMetadata['application_type'];
  if (applicationType !== 'web' && applicationType !== 'native') throw fail('application_type must be web or native');

  const grantTypes = input.grant_types ?? ['authorization_code'];
  if (!isStringArray(grantTypes) || grantTypes.length === 0) throw fail('grant_types must be a non-empty array of strings');
  for (const grant of grantTypes) {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) throw fail(`grant type ${grant} is not supported`);
  }
  const responseTypes = input.response_types ?? (grantTypes.includes('authorization_code') ? ['code'] : []);
  if (!isStringArray(responseTypes) || responseTypes.some((r) => r !== 'code')) throw fail('only the code response type is supported');
  if (responseTypes.includes('code') !== grantTypes.includes('authorization_code')) throw fail('response_types code and grant_types authorization_code go together');

  const authMethod = (input.token_endpoint_auth_method ?? 'client_secret_basic') as ClientMetadata['token_endpoint_auth_method'];
  if (!(AUTH_METHODS as readonly string[]).includes(authMethod)) throw fail(`token_endpoint_auth_method ${String(authMethod)} is not supported`);
  if (authMethod === 'none' && grantTypes.includes('client_credentials')) throw fail('a public client cannot use client_credentials');

  const redirectUris = input.redirect_uris ?? [];
  if (!isStringArray(redirectUris)) throw failRedirect('redirect_uris must be an array of strings');
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) throw failRedirect('redirect_uris is required for the authorization_code grant');
  for (const uri of redirectUris) checkRedirectUri(uri, applicationType, options.production);

  const postLogout = input.post_logout_redirect_uris ?? [];
  if (!isStringArray(postLogout)) throw failRedirect('post_logout_redirect_uris must be an array of strings');
  for (const uri of postLogout) checkRedirectUri(uri, applicationType, options.production);

  if (input.jwks !== undefined && input.jwks_uri !== undefined) throw fail('jwks and jwks_uri are mutually exclusive');
  if (input.jwks !== undefined) {
    const jwks = input.jwks as { keys?: unknown };
    if (!jwks || !Array.isArray(jwks.keys)) throw fail('jwks must be a JWK Set with a keys array');
  }
  if (authMethod === 'private_key_jwt' && input.jwks === undefined && input.jwks_uri === undefined) throw fail('private_key_jwt requires jwks or jwks_uri');

  const requirePkce = input.require_pkce ?? true;
  if (typeof requirePkce !== 'boolean') throw fail('require_pkce must be a boolean');
  // PKCE may be relaxed only where a client secret or key still binds the code to its client.
  if (!requirePkce && authMethod === 'none') throw fail('require_pkce may be false only for confidential clients');

  const format = input.access_token_format ?? 'opaque';
  if (format !== 'opaque' && format !== 'jwt') throw fail('access_token_format must be opaque or jwt');

  for (const name of ['client_name', 'scope', 'jwks_uri', 'backchannel_logout_uri', 'token_endpoint_auth_signing_alg', 'id_token_signed_response_alg']) {
    if (input[name] !== undefined && typeof input[name] !== 'string') throw fail(`${name} must be a string`);
  }
  if (input.id_token_signed_response_alg !== undefined && !['RS256', 'ES256'].includes(input.id_token_signed_response_alg as string)) {
    throw fail('id_token_signed_response_alg must be RS256 or ES256');
  }

  const { client_id: _id, client_secret: _secret, client_secret_expires_at: _exp, client_id_issued_at: _iat, ...rest } = input;
  return {
    ...rest,
    application_type: applicationType,
    grant_types: grantTypes,
    response_types: responseTypes,
    token_endpoint_auth_method: authMethod,
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogout,
    require_pkce: requirePkce,
    access_token_format: format,
  } as ClientMetadata;
}
