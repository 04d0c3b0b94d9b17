/**
 * Validates client metadata (from the CLI, the seed file, or registration later) into the stored
 * form, with the RFC 7591 error codes.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (metadata and defaults)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2 (redirect URIs are absolute, without fragment)
 * @spec https://www.rfc-editor.org/rfc/rfc8252#section-7.3 (loopback redirect URIs for native clients)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-2.1.2 (no implicit grant) and #section-2.4 (no password grant)
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html (SSRF: URLs the server will fetch are checked)
 * @spec https://www.rfc-editor.org/rfc/rfc6761#section-6.3 (localhost names resolve to loopback)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-5.2 (dpop_bound_access_tokens, a boolean defaulting to false)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2.1.2 (tls_client_auth subject metadata: rfc8705-mtls/certificate-metadata.ts)
 * @spec https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata (id_token_signed_response_alg, userinfo_signed_response_alg)
 * @spec https://openid.net/specs/oauth-v2-jarm-final.html#section-3 (authorization_signed_response_alg)
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-10.5 (request object metadata: see src/rfc9101-jar/request-object-metadata.ts)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { validateResourcesMetadata } from '../rfc8707-resource-indicators/resource-policy.js';
import { validateLifetimes } from './token-lifetimes.js';
import { validateReuseGrace } from '../rfc6749-oauth2/refresh-reuse-grace.js';
import { SERVED_RESOURCES_METADATA, validateServedResources } from '../rfc7662-introspection/introspection-policy.js';
import { POLICY_METADATA, validateExchangePolicy } from '../rfc8693-token-exchange/exchange-policy.js';
import { checkOutboundUrl, outboundPolicy, type SafeFetchPolicy } from '../security/safe-fetch.js';
import { applyClientProfile } from '../fapi2-security-profile/client-profile.js';
import { validateRequestObjectMetadata } from '../rfc9101-jar/request-object-metadata.js';
import type { ClientMetadata } from '../storage/stores.js';
import { validateCertificateMetadata } from '../rfc8705-mtls/certificate-metadata.js';
import { isSupportedAlg, SUPPORTED_ALGS } from '../tokens/keystore.js';

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none', 'tls_client_auth', 'self_signed_tls_client_auth'] as const;
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT_TYPE, TOKEN_EXCHANGE_GRANT_TYPE] as const;
/** Metadata naming the JWS alg of a signed response: ID token, UserInfo (OIDC Registration §2), JARM (§3). */
export const RESPONSE_SIGNING_ALG_METADATA = ['id_token_signed_response_alg', 'userinfo_signed_response_alg', 'authorization_signed_response_alg'] as const;

const fail = (description: string, requirement = 'RFC7591-3.2.2-1') => new OAuthError('invalid_client_metadata', description, { requirement });
const failRedirect = (description: string, requirement = 'RFC7591-3.2.2-1') => new OAuthError('invalid_redirect_uri', description, { requirement });

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

export function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === '[::1]';
}

const isLocalhostName = (hostname: string) => hostname === 'localhost' || hostname.endsWith('.localhost');

export function checkRedirectUri(uri: string, applicationType: 'web' | 'native', production: boolean): void {
  // RFC 3986 §2: no whitespace, controls or characters outside the URI syntax. The URL parser would
  // silently strip or encode them, so the string compared later would not be where the browser goes.
  if (/[\x00-\x20\x7f"<>\\^`{|}]/.test(uri)) throw failRedirect('redirect_uri must be a URI without spaces, control characters or characters RFC 3986 does not allow');
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw failRedirect(`redirect_uri ${uri} is not an absolute URI`);
  }
  if (uri.includes('#')) throw failRedirect('redirect_uri must not contain a fragment');
  if (['javascript:', 'data:', 'vbscript:', 'file:'].includes(url.protocol)) throw failRedirect(`redirect_uri scheme ${url.protocol} is not allowed`);
  // RFC 8252 §7.1: besides http(s), only private-use schemes in reverse domain notation. Without
  // this, `localhost:8080/cb` passes as the scheme "localhost:", and no browser would ever come back.
  if (url.protocol !== 'https:' && url.protocol !== 'http:' && !url.protocol.includes('.')) {
    throw failRedirect(`redirect_uri ${uri} has no valid scheme: use https://, http:// or a private-use scheme in reverse domain notation such as com.example.app:/callback`);
  }
  if (!production) return;
  // RFC 8252 §7.3: only native clients redirect to the loopback interface, and by IP literal, never by name.
  if (isLocalhostName(url.hostname)) throw failRedirect('redirect_uri must not use localhost in production');
  if (isLoopbackHost(url.hostname) && applicationType !== 'native') throw failRedirect('only native clients may use a loopback redirect_uri in production');
  if (url.protocol === 'https:') return;
  if (applicationType === 'native' && url.protocol === 'http:' && isLoopbackHost(url.hostname)) return;
  if (applicationType === 'native' && url.protocol !== 'http:' && url.protocol.includes('.')) return; // private-use scheme, RFC 8252 §7.1
  throw failRedirect('redirect_uri must be https in production (native clients may use loopback IPs)');
}

/**
 * A URL the server will fetch (jwks_uri, backchannel_logout_uri): checked now against the outbound
 * policy so a private or loopback literal is refused at registration, not only at fetch time.
 * Names are resolved only when fetched, where the resolved address is checked again.
 */
function checkFetchedUri(name: string, uri: string, policy: SafeFetchPolicy): void {
  let url: URL;
  try {
    url = checkOutboundUrl(uri, policy);
  } catch (error) {
    throw fail(`${name} is not allowed: ${(error as Error).message}`);
  }
  if (url.hash) throw fail(`${name} must not contain a fragment`);
  if (!policy.allowPrivateNetworks && isLocalhostName(url.hostname)) throw fail(`${name} must not point at localhost`);
}

/** Pages shown to users (client_uri, logo_uri, policy_uri, tos_uri): web URLs only, https in production. */
function checkWebUri(name: string, uri: string, production: boolean): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw fail(`${name} must be an absolute URL`);
  }
  const schemes = production ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(url.protocol)) throw fail(`${name} must be an ${production ? 'https' : 'http(s)'} URL`);
}

/** RFC 7591 §2: jwks holds the client's public keys; private key material is refused. */
function checkJwks(value: unknown): void {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (typeof value !== 'object' || value === null || !Array.isArray(keys)) throw fail('jwks must be a JWK Set with a keys array');
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string') throw fail('every key in jwks must be a JWK with kty');
    if ('d' in key) throw fail('jwks must contain public keys only');
  }
}

/** The assertion algorithm must belong to the method's family: HMAC for client_secret_jwt, asymmetric for private_key_jwt. */
function checkSigningAlg(alg: unknown, method: string): void {
  if (alg === undefined) return;
  if (typeof alg !== 'string') throw fail('token_endpoint_auth_signing_alg must be a string');
  const family = method === 'client_secret_jwt' ? /^HS(256|384|512)$/ : method === 'private_key_jwt' ? /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/ : undefined;
  if (!family) throw fail('token_endpoint_auth_signing_alg applies only to client_secret_jwt and private_key_jwt');
  if (!family.test(alg)) throw fail(`token_endpoint_auth_signing_alg ${alg} does not suit ${method}`);
}

export interface MetadataOptions {
  production: boolean;
  /** Outbound policy for jwks_uri and backchannel_logout_uri; by default the one production mode implies. */
  outbound?: SafeFetchPolicy;
  /** The external issuers token exchange trusts; when given, a policy naming another issuer is refused. */
  tokenExchangeTrustedIssuers?: readonly { issuer: string }[];
}

/** Returns normalised metadata with RFC 7591 defaults applied; throws on anything inconsistent. */
export function validateClientMetadata(raw: Record<string, unknown>, options: MetadataOptions): ClientMetadata {
  // A client profile (FAPI 2.0) fills in its defaults and refuses what contradicts it, before the general rules.
  const input = applyClientProfile(raw);
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

  // RFC 7591 §2: jwks and jwks_uri MUST NOT both be present.
  if (input.jwks !== undefined && input.jwks_uri !== undefined) throw fail('jwks and jwks_uri are mutually exclusive');
  if (input.jwks !== undefined) checkJwks(input.jwks);
  if (authMethod === 'private_key_jwt' && input.jwks === undefined && input.jwks_uri === undefined) throw fail('private_key_jwt requires jwks or jwks_uri');
  checkSigningAlg(input.token_endpoint_auth_signing_alg, authMethod);

  const requirePkce = input.require_pkce ?? true;
  if (typeof requirePkce !== 'boolean') throw fail('require_pkce must be a boolean');
  // PKCE may be relaxed only where a client secret or key still binds the code to its client.
  if (!requirePkce && authMethod === 'none') throw fail('require_pkce may be false only for confidential clients');

  const format = input.access_token_format ?? 'opaque';
  if (format !== 'opaque' && format !== 'jwt') throw fail('access_token_format must be opaque or jwt');
  if (input.dpop_bound_access_tokens !== undefined && typeof input.dpop_bound_access_tokens !== 'boolean') {
    throw fail('dpop_bound_access_tokens must be a boolean');
  }

  for (const name of ['client_name', 'scope', 'jwks_uri', 'backchannel_logout_uri', 'id_token_signed_response_alg', 'client_uri', 'logo_uri', 'policy_uri', 'tos_uri', 'software_id', 'software_version']) {
    if (input[name] !== undefined && typeof input[name] !== 'string') throw fail(`${name} must be a string`);
  }
  const outbound = options.outbound ?? outboundPolicy({ production: options.production, outboundAllowPrivateNetworks: !options.production });
  for (const name of ['jwks_uri', 'backchannel_logout_uri']) {
    if (input[name] !== undefined) checkFetchedUri(name, input[name] as string, outbound);
  }
  // Back-Channel Logout §2.2: an http backchannel_logout_uri only for a confidential client.
  if (input.backchannel_logout_uri !== undefined && new URL(input.backchannel_logout_uri as string).protocol !== 'https:' && authMethod === 'none') {
    throw fail('backchannel_logout_uri must be https for a public client');
  }
  if (input.backchannel_logout_session_required !== undefined && typeof input.backchannel_logout_session_required !== 'boolean') {
    throw fail('backchannel_logout_session_required must be a boolean');
  }
  for (const name of ['client_uri', 'logo_uri', 'policy_uri', 'tos_uri']) {
    if (input[name] !== undefined) checkWebUri(name, input[name] as string, options.production);
  }
  if (input.contacts !== undefined && (!isStringArray(input.contacts) || input.contacts.some((c) => c.length === 0))) throw fail('contacts must be an array of non-empty strings');
  // Castellan extensions: per-client token lifetimes, and the RFC 8707 resource indicators this client may request.
  validateLifetimes(input);
  validateReuseGrace(input);
  validateResourcesMetadata(input.resources);
  validateServedResources(input[SERVED_RESOURCES_METADATA], authMethod);
  validateCertificateMetadata(input, authMethod);
  // OIDC Registration §2, JARM §3: each signed response uses an alg the server holds keys for; none is refused.
  for (const name of RESPONSE_SIGNING_ALG_METADATA) {
    if (input[name] !== undefined && !isSupportedAlg(input[name])) throw fail(`${name} must be one of ${SUPPORTED_ALGS.join(', ')}`);
  }
  // RFC 9126 and RFC 9101: pushed requests and request objects (src/rfc9101-jar/request-object-metadata.ts).
  validateRequestObjectMetadata(input, (name, uri) => checkFetchedUri(name, uri, outbound));

  // Credentials and registration bookkeeping are never metadata, even when a metadata file carries them.
  const {
    client_id: _id, client_secret: _secret, client_secret_expires_at: _exp, client_id_issued_at: _iat,
    registration_access_token: _rat, registration_client_uri: _uri, software_statement: _statement, ...rest
  } = input;
  // Castellan extension: the RFC 8693 exchange policy, deny-by-default (src/rfc8693-token-exchange/exchange-policy.ts).
  const exchangePolicy = validateExchangePolicy(input[POLICY_METADATA], { grant_types: grantTypes, token_endpoint_auth_method: authMethod }, options.tokenExchangeTrustedIssuers);
  return {
    ...rest,
    ...(exchangePolicy ? { [POLICY_METADATA]: exchangePolicy } : {}),
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
