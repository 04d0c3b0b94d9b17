/**
 * JSON Schema of the seed file: RFC 7591 client metadata plus client_id and client_secret, and users
 * with a password and standard OpenID Connect claims. Semantics (grant and auth method combinations,
 * redirect URI rules) are checked by the client and user services, not here.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (client metadata)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
 */
import { LIFETIME_PROPERTIES } from '../clients/token-lifetimes.js';
import { CERTIFICATE_METADATA_PROPERTIES } from '../rfc8705-mtls/certificate-metadata.js';
import { AUTH_METHODS, GRANT_TYPES } from '../clients/client-metadata.js';
import { MIN_SECRET_LENGTH } from '../clients/client-service.js';
import { PRESENTED_TOKEN_TYPES } from '../rfc8693-token-exchange/token-types.js';
import { SUPPORTED_ALGS } from '../tokens/keystore.js';
import { PROFILES } from '../fapi2-security-profile/client-profile.js';
import { REGISTRABLE_REQUEST_OBJECT_ALGS } from '../rfc9101-jar/request-object-metadata.js';

const text = (maxLength = 255) => ({ type: 'string', minLength: 1, maxLength });
const uri = { type: 'string', format: 'uri', maxLength: 2000 };
const uriList = { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 2000 } };
const nameList = { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 2048 } };
const tokenTypeList = { type: 'array', minItems: 1, items: { type: 'string', enum: [...PRESENTED_TOKEN_TYPES] } };

/** RFC 8693 exchange policy (src/rfc8693-token-exchange/exchange-policy.ts checks the rest). */
const tokenExchangePolicy = {
  type: 'object',
  properties: {
    subject_token_types: tokenTypeList, subject_issuers: nameList, subject_clients: nameList, audiences: nameList, scopes: nameList,
    impersonation: { type: 'boolean' }, delegation: { type: 'boolean' }, actor_token_types: tokenTypeList, actor_issuers: nameList,
  },
  required: ['subject_token_types', 'audiences', 'impersonation', 'delegation'],
  additionalProperties: false,
};

/** Address claim members, OIDC Core §5.1.1. */
const address = {
  type: 'object',
  properties: {
    formatted: text(1000), street_address: text(1000), locality: text(), region: text(),
    postal_code: text(64), country: text(),
  },
};

export const standardClaimsSchema = {
  type: 'object',
  properties: {
    name: text(), given_name: text(), family_name: text(), middle_name: text(), nickname: text(),
    preferred_username: text(), profile: uri, picture: uri, website: uri,
    email: { type: 'string', format: 'email', maxLength: 320 },
    email_verified: { type: 'boolean' },
    gender: text(64),
    // OIDC Core §5.1: YYYY-MM-DD, or YYYY alone, or 0000-MM-DD when the year is withheld.
    birthdate: { type: 'string', pattern: '^\\d{4}(-\\d{2}-\\d{2})?$', maxLength: 10 },
    zoneinfo: text(64), locale: text(35),
    phone_number: text(64), phone_number_verified: { type: 'boolean' },
    address,
    updated_at: { type: 'integer', minimum: 0 },
  },
} as const;

export const seedClientSchema = {
  type: 'object',
  properties: {
    client_id: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' },
    client_secret: { type: 'string', minLength: MIN_SECRET_LENGTH, maxLength: 512 },
    client_name: text(),
    application_type: { type: 'string', enum: ['web', 'native'] },
    redirect_uris: uriList,
    post_logout_redirect_uris: uriList,
    grant_types: { type: 'array', minItems: 1, items: { type: 'string', enum: [...GRANT_TYPES] } },
    response_types: { type: 'array', items: { type: 'string', enum: ['code'] } },
    token_endpoint_auth_method: { type: 'string', enum: [...AUTH_METHODS] },
    token_endpoint_auth_signing_alg: text(16),
    scope: text(1000),
    jwks: { type: 'object', properties: { keys: { type: 'array', maxItems: 20, items: { type: 'object' } } }, required: ['keys'] },
    jwks_uri: uri,
    id_token_signed_response_alg: { type: 'string', enum: [...SUPPORTED_ALGS] },
    userinfo_signed_response_alg: { type: 'string', enum: [...SUPPORTED_ALGS] },
    authorization_signed_response_alg: { type: 'string', enum: [...SUPPORTED_ALGS] },
    backchannel_logout_uri: uri,
    backchannel_logout_session_required: { type: 'boolean' },
    client_uri: uri, logo_uri: uri, tos_uri: uri, policy_uri: uri,
    contacts: { type: 'array', maxItems: 20, items: text(320) },
    software_id: text(), software_version: text(64),
    require_pkce: { type: 'boolean' },
    access_token_format: { type: 'string', enum: ['opaque', 'jwt'] },
    // RFC 9449 §5.2: token requests without a DPoP proof are refused.
    dpop_bound_access_tokens: { type: 'boolean' },
    // Castellan extension: per-client lifetimes in seconds, capped by the server (src/clients/token-lifetimes.ts).
    ...LIFETIME_PROPERTIES,
    // Castellan extension: seconds a retried refresh token gets the rotation's answer (0 or absent: off).
    refresh_token_reuse_grace: { type: 'integer' },
    // Castellan extension: RFC 8707 resource indicators the client may request (src/rfc8707-resource-indicators/).
    resources: uriList,
    // Castellan extension: the resource indicators a resource server client serves (src/rfc7662-introspection/introspection-policy.ts).
    served_resources: uriList,
    // Castellan extension: the token exchange policy; only operators set it (registration drops it).
    token_exchange: tokenExchangePolicy,
    // RFC 8705 §2.1.2 and §3.4: the tls_client_auth subject and certificate-bound access tokens.
    ...CERTIFICATE_METADATA_PROPERTIES,
    // RFC 9126 §6 and RFC 9101 §10.5: pushed requests and request objects (src/rfc9101-jar/request-object-metadata.ts).
    require_pushed_authorization_requests: { type: 'boolean' },
    require_signed_request_object: { type: 'boolean' },
    request_object_signing_alg: { type: 'string', enum: [...REGISTRABLE_REQUEST_OBJECT_ALGS] },
    request_uris: uriList,
    // Castellan extension: a security profile the client is held to (src/fapi2-security-profile/client-profile.ts).
    profile: { type: 'string', enum: [...PROFILES] },
  },
  required: ['client_id'],
} as const;

export const seedUserSchema = {
  type: 'object',
  properties: {
    username: text(),
    // Length and the other rules belong to the password policy (src/security/password-policy.ts).
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    claims: standardClaimsSchema,
  },
  required: ['username', 'password'],
} as const;

export const seedFileSchema = {
  type: 'object',
  properties: {
    $schema: { type: 'string', maxLength: 2000 },
    clients: { type: 'array', maxItems: 10_000, items: seedClientSchema },
    users: { type: 'array', maxItems: 100_000, items: seedUserSchema },
  },
} as const;
