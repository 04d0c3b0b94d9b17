/**
 * Small builders that turn the request schemas the endpoints validate with into OpenAPI 3.1 pieces:
 * query parameters, form and JSON bodies, and the shared error responses.
 * @spec https://spec.openapis.org/oas/v3.1.0#parameter-object
 * @spec https://spec.openapis.org/oas/v3.1.0#request-body-object
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (error body)
 */
import type { JsonSchemaObject } from '../schema/validator.js';

export type Json = Record<string, unknown>;

/** A deep copy, so the document never shares (or lets anyone mutate) a live validation schema. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** One object schema from several: properties merged in order, required lists joined. */
export function mergeSchemas(...schemas: JsonSchemaObject[]): Json {
  const properties: Json = {};
  const required = new Set<string>();
  for (const schema of schemas) {
    Object.assign(properties, copy(schema.properties ?? {}));
    for (const name of (schema.required as string[] | undefined) ?? []) required.add(name);
  }
  return { type: 'object', properties, ...(required.size > 0 ? { required: [...required] } : {}) };
}

/** Each property of an object schema as a query parameter. */
export function queryParameters(schema: JsonSchemaObject): Json[] {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: copy(property),
  }));
}

export function pathParameter(name: string, description: string): Json {
  return { name, in: 'path', required: true, description, schema: { type: 'string', maxLength: 255 } };
}

export function formBody(schema: Json, required = true): Json {
  return { required, content: { 'application/x-www-form-urlencoded': { schema } } };
}

export function jsonBody(schema: Json): Json {
  return { required: true, content: { 'application/json': { schema } } };
}

/** Form fields of a server-rendered page, all strings. */
export function pageForm(fields: Record<string, string>, required: string[]): Json {
  const properties = Object.fromEntries(Object.entries(fields).map(([name, description]) => [name, { type: 'string', description }]));
  return formBody({ type: 'object', properties, required });
}

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
export const response = (name: string): Json => ({ $ref: `#/components/responses/${name}` });

export function jsonResponse(description: string, schema: Json): Json {
  return { description, content: { 'application/json': { schema } } };
}

export const htmlResponse = (description: string): Json => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });

export const redirectResponse = (description: string): Json => ({
  description,
  headers: { Location: { required: true, schema: { type: 'string', format: 'uri-reference' } } },
});

/** Components shared by the operations: the RFC 6749 §5.2 error body, common responses, schemes. */
export const COMPONENTS: Json = {
  schemas: {
    OAuthError: {
      type: 'object',
      properties: {
        error: { type: 'string', description: 'An error code of RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2, RFC 8707 §2 or OIDC Core §3.1.2.6' },
        error_description: { type: 'string', pattern: '^[\\x20-\\x21\\x23-\\x5B\\x5D-\\x7E]*$' },
        error_uri: { type: 'string', format: 'uri', pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$', description: 'The page under the issuer explaining this error and the rule it enforces: /errors/<code>/<requirement id>' },
      },
      required: ['error'],
    },
  },
  responses: {
    BadRequest: jsonResponse('invalid_request or another error of the endpoint', ref('OAuthError')),
    Unauthorized: {
      ...jsonResponse('Client authentication or the bearer token failed', ref('OAuthError')),
      headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
    },
    MethodNotAllowed: {
      ...jsonResponse('Only the documented methods are allowed', ref('OAuthError')),
      headers: { Allow: { schema: { type: 'string' } } },
    },
    TooManyRequests: {
      ...jsonResponse('Rate limit reached (RFC 6585 §4)', ref('OAuthError')),
      headers: { 'Retry-After': { schema: { type: 'integer' } } },
    },
    ErrorPage: htmlResponse('An HTML error page (never a redirect to an unvalidated address)'),
    // What the server answers before any endpoint runs (server/app.ts, security/tls.ts), for every operation alike.
    PayloadTooLarge: {
      description: 'Request body over 64 KB: invalid_request, as JSON, or as an HTML error page when the request prefers HTML',
      content: { 'application/json': { schema: ref('OAuthError') }, 'text/html': { schema: { type: 'string' } } },
    },
    HeadersTooLarge: jsonResponse('Request headers (the URL included) over 16 KB: invalid_request as JSON (http/listener-errors.ts), and the connection is closed', ref('OAuthError')),
    Unavailable: {
      description: 'The database did not answer within DATABASE_TIMEOUT, or the jwks_uri of a client authenticating with private_key_jwt or self_signed_tls_client_auth did not answer: temporarily_unavailable, as JSON, or as an HTML error page when the request prefers HTML',
      headers: { 'Retry-After': { required: true, schema: { type: 'integer' } } },
      content: { 'application/json': { schema: ref('OAuthError') }, 'text/html': { schema: { type: 'string' } } },
    },
    RequestTimeout: jsonResponse('Headers or body sent slower than HTTP_HEADERS_TIMEOUT or HTTP_REQUEST_TIMEOUT allow: invalid_request as JSON, and the connection is closed', ref('OAuthError')),
  },
  securitySchemes: {
    clientSecretBasic: { type: 'http', scheme: 'basic', description: 'RFC 6749 §2.3.1: form-urlencoded client_id and client_secret' },
    bearer: { type: 'http', scheme: 'bearer', description: 'RFC 6750 access token' },
    registrationAccessToken: { type: 'http', scheme: 'bearer', description: 'RFC 7592 registration access token, or the initial access token at POST /register' },
  },
};

/**
 * Client authentication at the token, introspection and revocation endpoints: HTTP Basic, or the
 * body's client_id with client_secret or client_assertion (declared in the body schema).
 */
export const CLIENT_AUTH_SECURITY: Json[] = [{ clientSecretBasic: [] }, {}];
