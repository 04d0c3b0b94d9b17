/**
 * The JSON documents of registration (POST /register) and update (PUT /register/:client_id): the
 * RFC 7591 §2 metadata Castellan understands, with types and lengths. Members it does not understand
 * are dropped, and so are the operator-only ones (src/clients/operator-metadata.ts); null and empty
 * values count as omitted. Semantics (grant and method combinations,
 * URL rules) are checked by client-metadata.ts.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (metadata; unknown members MUST be ignored)
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.1 (the request body is a JSON object)
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2 (invalid_redirect_uri, invalid_client_metadata)
 * @spec https://www.rfc-editor.org/rfc/rfc7592#section-2.2 (update body: client_id required, client_secret optional; nulls may be ignored)
 * @spec https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata
 * @spec https://www.rfc-editor.org/rfc/rfc8259#section-8.1 (JSON text is UTF-8)
 */
import { LIFETIME_PROPERTIES } from '../clients/token-lifetimes.js';
import express, { type Request } from 'express';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { OAuthError } from '../errors/oauth-error.js';
import { jsonProblem, utf8Text } from '../http/text-input.js';
import { ajv, type JsonSchemaObject } from '../schema/validator.js';
import { CERTIFICATE_METADATA_PROPERTIES } from '../rfc8705-mtls/certificate-metadata.js';
import { isOperatorOnlyMetadata } from '../clients/operator-metadata.js';

/** Raw body up to 64 KiB whatever its type, so a wrong Content-Type gets a metadata error, not a 415. */
export const jsonBody = express.raw({ type: () => true, limit: '64kb' });

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });
const url = text(2000);
const urlList = { type: 'array', maxItems: 20, items: url };
const names = { type: 'array', maxItems: 10, items: text(64) };

const metadataProperties = {
  redirect_uris: urlList,
  post_logout_redirect_uris: urlList,
  token_endpoint_auth_method: text(64),
  token_endpoint_auth_signing_alg: text(16),
  grant_types: names,
  response_types: names,
  application_type: text(16),
  client_name: text(255),
  client_uri: url,
  logo_uri: url,
  tos_uri: url,
  policy_uri: url,
  scope: text(2000),
  contacts: { type: 'array', maxItems: 10, items: text(320) },
  jwks_uri: url,
  jwks: { type: 'object', properties: { keys: { type: 'array', maxItems: 20, items: { type: 'object' } } }, required: ['keys'] },
  software_id: text(255),
  software_version: text(64),
  software_statement: text(16_384),
  id_token_signed_response_alg: text(16),
  userinfo_signed_response_alg: text(16),
  authorization_signed_response_alg: text(16),
  backchannel_logout_uri: url,
  backchannel_logout_session_required: { type: 'boolean' },
  // Castellan's own: PKCE may be relaxed by confidential clients only; RFC 9068 JWT access tokens.
  require_pkce: { type: 'boolean' },
  access_token_format: text(16),
  // RFC 9449 §5.2.
  dpop_bound_access_tokens: { type: 'boolean' },
  // Castellan extension: per-client lifetimes in seconds, capped by the server (src/clients/token-lifetimes.ts).
  ...LIFETIME_PROPERTIES,
  // Castellan extension: seconds a retried refresh token gets the rotation's answer (0 or absent: off).
  refresh_token_reuse_grace: { type: 'integer' },
  // RFC 8705 §2.1.2 and §3.4 (checked further in src/rfc8705-mtls/certificate-metadata.ts).
  ...CERTIFICATE_METADATA_PROPERTIES,
  // RFC 9126 §6, RFC 9101 §10.5, OIDC Registration §2 (checked further in src/rfc9101-jar/request-object-metadata.ts).
  require_pushed_authorization_requests: { type: 'boolean' },
  require_signed_request_object: { type: 'boolean' },
  request_object_signing_alg: text(16),
  request_uris: urlList,
  // Castellan extension: a security profile that only makes the client stricter (src/fapi2-security-profile/client-profile.ts).
  profile: text(16),
  // Never here: the operator-only members (src/clients/operator-metadata.ts), dropped explicitly below.
};

export const registrationSchema: JsonSchemaObject = { type: 'object', properties: metadataProperties };

/** RFC 7592 §2.2: the registration fields (registration_access_token, ...) are dropped like any unknown member. */
export const updateSchema: JsonSchemaObject = {
  type: 'object',
  properties: { ...metadataProperties, client_id: text(255), client_secret: text(512) },
  required: ['client_id'],
};

const REDIRECT_FIELDS = ['redirect_uris', 'post_logout_redirect_uris'];
const compiled = new WeakMap<JsonSchemaObject, ValidateFunction>();

/**
 * How deep a metadata document may nest: a jwks with its keys is four levels. Deeper documents are
 * refused before anything (structuredClone, ajv) recurses through them and runs out of stack.
 */
export const MAX_METADATA_DEPTH = 32;

/** The request body as a JSON object; anything else is invalid_client_metadata. */
export function jsonObject(req: Request): Record<string, unknown> {
  if (!req.is('application/json')) throw new OAuthError('invalid_client_metadata', 'The request body must be application/json', { requirement: 'RFC7591-3.1-1' });
  // RFC 8259 §8.1: JSON is UTF-8; invalid bytes would otherwise become U+FFFD and be stored as such.
  const text = Buffer.isBuffer(req.body) ? utf8Text(req.body) : '';
  if (text === undefined) throw new OAuthError('invalid_client_metadata', 'The request body must be UTF-8 text without NUL characters', { requirement: 'RFC7591-3.2.2-2' });
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new OAuthError('invalid_client_metadata', 'The request body is not valid JSON', { requirement: 'RFC7591-3.1-1' });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new OAuthError('invalid_client_metadata', 'The request body must be a JSON object', { requirement: 'RFC7591-3.1-1' });
  const problem = jsonProblem(document, MAX_METADATA_DEPTH);
  if (problem === 'too deep') throw new OAuthError('invalid_client_metadata', `The request body nests deeper than ${MAX_METADATA_DEPTH} levels`, { requirement: 'RFC7591-3.2.2-2' });
  // Escapes (\u0000, \ud800) reach strings that the bytes check could not see.
  if (problem) throw new OAuthError('invalid_client_metadata', 'Client metadata strings must be Unicode text without NUL characters', { requirement: 'RFC7591-3.2.2-2' });
  return document as Record<string, unknown>;
}

/** Validates a copy of `document` against `schema`, keeping only the members the schema declares and a client may set. */
export function validateMetadataDocument(schema: JsonSchemaObject, document: Record<string, unknown>): Record<string, unknown> {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile({ ...schema, additionalProperties: false });
    compiled.set(schema, validate);
  }
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(document)) {
    // RFC 7592 §2.2 lets the server ignore null or empty values; treating them as omitted serves both calls.
    // A client never sets operator-only metadata (resources, served_resources, token_exchange) itself.
    if (isOperatorOnlyMetadata(name)) continue;
    if (value !== null && value !== '') copy[name] = structuredClone(value);
  }
  if (!validate(copy)) throw describe(validate.errors?.[0]);
  return copy;
}

function describe(error: ErrorObject | null | undefined): OAuthError {
  const field = error?.keyword === 'required' ? String(error.params.missingProperty) : (error?.instancePath.split('/')[1] ?? '');
  const code = REDIRECT_FIELDS.includes(field) ? 'invalid_redirect_uri' : 'invalid_client_metadata';
  if (!error) return new OAuthError(code, 'The client metadata is invalid', { requirement: 'RFC7591-3.2.2-1' });
  if (error.keyword === 'required') return new OAuthError(code, `${field} is required`, { requirement: 'RFC7591-3.2.2-1' });
  if (error.keyword === 'maxLength' || error.keyword === 'maxItems') return new OAuthError(code, `${field} is too long`, { requirement: 'RFC7591-3.2.2-1' });
  if (error.keyword === 'minLength') return new OAuthError(code, `${field} must not be empty`, { requirement: 'RFC7591-3.2.2-1' });
  if (error.keyword === 'type') return new OAuthError(code, `${field}${error.instancePath.split('/').length > 2 ? ' entries' : ''} must be of type ${String(error.params.type)}`, { requirement: 'RFC7591-3.2.2-1' });
  return new OAuthError(code, `${field} is malformed`, { requirement: 'RFC7591-3.2.2-1' });
}
