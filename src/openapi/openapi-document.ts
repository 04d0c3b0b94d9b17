/**
 * The OpenAPI 3.1 description of Castellan's HTTP interface, built from the very schemas the
 * endpoints validate requests with (grant schemas from the grant registry, the authorization,
 * introspection, revocation, registration and logout schemas), so it cannot drift from them.
 * Browser pages and assets are described in openapi-pages.ts.
 * @spec https://spec.openapis.org/oas/v3.1.0
 */
import { readFileSync } from 'node:fs';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import { authorizationRequestSchema } from '../rfc6749-oauth2/authorization-request.schema.js';
import { clientAuthenticationSchema } from '../rfc6749-oauth2/client-authentication.schema.js';
import { revocationSchema } from '../rfc7009-revocation/revocation.schema.js';
import { deviceAuthorizationSchema } from '../rfc8628-device-authorization/device-authorization.schema.js';
import { registrationSchema, updateSchema } from '../rfc7591-registration/registration.schema.js';
import { introspectionSchema } from '../rfc7662-introspection/introspection.schema.js';
import { requestReferenceSchema } from '../rfc9101-jar/request-reference.schema.js';
import { pushedAuthorizationSchema } from '../rfc9126-par/pushed-authorization.schema.js';
import { findGrant, supportedGrantTypes } from '../server/grant-registry.js';
import { pagePaths } from './openapi-pages.js';
import { inspectorPaths } from '../inspector/inspector-openapi.js';
import {
  CLIENT_AUTH_SECURITY, COMPONENTS, formBody, jsonBody, jsonResponse, mergeSchemas, pathParameter, queryParameters,
  redirectResponse, ref, response, type Json,
} from './openapi-schema.js';

export const OPENAPI_PATH = '/openapi.json';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const anyObject: Json = { type: 'object', additionalProperties: true };
const jsonOk = (description: string, schema: Json = anyObject) => jsonResponse(description, schema);

/** One body schema per registered grant: grant_type, the grant's own parameters, client credentials. */
function tokenRequestSchema(): Json {
  const variants = supportedGrantTypes().map((grantType) => {
    const grant = findGrant(grantType)!;
    const schema = mergeSchemas(
      { type: 'object', properties: { grant_type: { const: grantType } }, required: ['grant_type'] },
      grant.schema,
      clientAuthenticationSchema,
    );
    return { title: grantType, ...schema };
  });
  return { oneOf: variants };
}

const tokenResponse: Json = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    // RFC 9449 §5: DPoP when the request carried a DPoP proof.
    token_type: { enum: ['Bearer', 'DPoP'] },
    expires_in: { type: 'integer' },
    scope: { type: 'string' },
    refresh_token: { type: 'string' },
    id_token: { type: 'string' },
    issued_token_type: { type: 'string', description: 'RFC 8693 §2.2.1: token exchange responses only' },
  },
  required: ['access_token', 'token_type', 'expires_in'],
};

/** RFC 9101 and RFC 9126: request and request_uri stand for the rest of the parameters. */
const authorizationWithReferences = { ...authorizationRequestSchema, properties: { ...authorizationRequestSchema.properties, ...requestReferenceSchema.properties } };

const authorize = (method: 'get' | 'post'): Json => ({
  operationId: `authorize${method === 'get' ? 'Get' : 'Post'}`,
  tags: ['RFC 6749', 'OpenID Connect Core'],
  summary: 'Authorization request (code flow with PKCE); answers by redirect or form_post, with iss',
  ...(method === 'get' ? { parameters: queryParameters(authorizationWithReferences) } : { requestBody: formBody(mergeSchemas(authorizationWithReferences)) }),
  responses: {
    200: { description: 'response_mode=form_post: an auto-submitting form to the redirect URI', content: { 'text/html': { schema: { type: 'string' } } } },
    303: redirectResponse('To the redirect URI with code or error, state and iss; or to the login or consent page'),
    400: response('ErrorPage'),
    429: response('TooManyRequests'),
  },
});

/** RFC 9449 §4.1: the proof header, accepted wherever Castellan checks proofs. */
const DPOP_HEADER: Json = {
  name: 'DPoP', in: 'header', required: false,
  description: 'RFC 9449 DPoP proof JWT (typ dpop+jwt) for this method and URL; at most one',
  schema: { type: 'string', maxLength: 8192 },
};

const clientAuthenticated = (operationId: string, summary: string, tag: string, schema: Json, ok: Json): Json => ({
  post: {
    operationId,
    tags: [tag],
    summary,
    security: CLIENT_AUTH_SECURITY,
    parameters: [DPOP_HEADER],
    requestBody: formBody(schema),
    responses: { 200: ok, 400: response('BadRequest'), 401: response('Unauthorized'), 429: response('TooManyRequests') },
  },
});

/** RFC 9126 §2: an authorization request (or a request object) pushed with client authentication; 201. */
function pushedAuthorization(): Json {
  const { post } = clientAuthenticated('pushedAuthorization', 'Pushed authorization request: a one-time request_uri for /authorize, never cached', 'RFC 9126',
    mergeSchemas(pushedAuthorizationSchema, authorizationRequestSchema, clientAuthenticationSchema), {}) as { post: { responses: Record<string, Json> } };
  const { 200: _ok, ...refusals } = post.responses;
  const created = jsonOk('RFC 9126 §2.2 pushed authorization response', {
    type: 'object', properties: { request_uri: { type: 'string' }, expires_in: { type: 'integer' } }, required: ['request_uri', 'expires_in'],
  });
  return { post: { ...post, responses: { 201: created, ...refusals } } };
}

function protocolPaths(): Json {
  return {
    [PATHS.discovery]: { get: { operationId: 'openidConfiguration', tags: ['OpenID Connect Discovery'], summary: 'OpenID Provider configuration', responses: { 200: jsonOk('Provider metadata') } } },
    [PATHS.asMetadata]: { get: { operationId: 'authorizationServerMetadata', tags: ['RFC 8414'], summary: 'Authorization server metadata (same document)', responses: { 200: jsonOk('Authorization server metadata') } } },
    [PATHS.jwks]: {
      get: {
        operationId: 'jwks', tags: ['RFC 7517'], summary: 'Public signing keys',
        responses: { 200: { description: 'JWK Set', content: { 'application/jwk-set+json': { schema: { type: 'object', properties: { keys: { type: 'array', items: anyObject } }, required: ['keys'] } } } } },
      },
    },
    [PATHS.authorization]: { get: authorize('get'), post: authorize('post') },
    [PATHS.token]: {
      ...clientAuthenticated('token', 'Token request; one variant per registered grant type', 'RFC 6749', tokenRequestSchema(), jsonOk('RFC 6749 §5.1 token response, never cached', ref('TokenResponse'))),
    },
    [PATHS.introspection]: clientAuthenticated('introspect', 'Token introspection (authenticated confidential clients)', 'RFC 7662',
      mergeSchemas(introspectionSchema, clientAuthenticationSchema), jsonOk('{"active": false} or the token description', { type: 'object', properties: { active: { type: 'boolean' } }, required: ['active'] })),
    [PATHS.deviceAuthorization]: clientAuthenticated('deviceAuthorization', 'Device authorization request: device_code and user_code, never cached', 'RFC 8628',
      mergeSchemas(deviceAuthorizationSchema, clientAuthenticationSchema), jsonOk('RFC 8628 §3.2 device authorization response', {
        type: 'object',
        properties: {
          device_code: { type: 'string' }, user_code: { type: 'string' }, verification_uri: { type: 'string', format: 'uri' },
          verification_uri_complete: { type: 'string', format: 'uri' }, expires_in: { type: 'integer' }, interval: { type: 'integer' },
        },
        required: ['device_code', 'user_code', 'verification_uri', 'expires_in'],
      })),
    [PATHS.pushedAuthorization]: pushedAuthorization(),
    [PATHS.revocation]: clientAuthenticated('revoke', 'Token revocation', 'RFC 7009',
      mergeSchemas(revocationSchema, clientAuthenticationSchema), { description: 'Revoked, or the token was unknown (empty body)' }),
    [PATHS.userinfo]: {
      get: { operationId: 'userinfoGet', tags: ['OpenID Connect Core'], summary: 'Claims of the signed-in user (Authorization: Bearer, or DPoP with a DPoP proof)', security: [{ bearer: [] }], parameters: [DPOP_HEADER], responses: userinfoResponses() },
      post: {
        operationId: 'userinfoPost', tags: ['OpenID Connect Core'], summary: 'Claims of the signed-in user (token in the header or the form body)',
        security: [{ bearer: [] }, {}],
        parameters: [DPOP_HEADER],
        requestBody: formBody({ type: 'object', properties: { access_token: { type: 'string', maxLength: 8192 } } }, false),
        responses: userinfoResponses(),
      },
    },
    [PATHS.registration]: {
      post: {
        operationId: 'register', tags: ['RFC 7591'], summary: 'Dynamic client registration', security: [{ registrationAccessToken: [] }, {}],
        requestBody: jsonBody(mergeSchemas(registrationSchema)),
        responses: { 201: jsonOk('Client information response with registration_access_token and registration_client_uri'), 400: response('BadRequest'), 401: response('Unauthorized'), 403: jsonResponse('Registration is closed (access_denied)', ref('OAuthError')), 429: response('TooManyRequests') },
      },
    },
    [`${PATHS.registration}/{client_id}`]: managementPath(),
    [OPENAPI_PATH]: { get: { operationId: 'openapi', tags: ['Castellan'], summary: 'This document', responses: { 200: jsonOk('OpenAPI 3.1 document') } } },
  };
}

function userinfoResponses(): Json {
  return {
    // OIDC Core §5.3.2: a client that registered userinfo_signed_response_alg gets the claims as a signed JWT.
    200: {
      description: 'The user claims the token grants, always with sub: JSON, or a JWS with iss and aud for a client that registered userinfo_signed_response_alg',
      content: {
        'application/json': { schema: { type: 'object', properties: { sub: { type: 'string' } }, required: ['sub'], additionalProperties: true } },
        'application/jwt': { schema: { type: 'string' } },
      },
    },
    400: response('BadRequest'),
    // RFC 6750 §3.1: a request without any token gets the challenge alone, with no error code and no body.
    401: {
      ...jsonResponse('No token: WWW-Authenticate with a Bearer and a DPoP challenge (RFC 9449 §7.1), no error and an empty body. An invalid token: invalid_token in WWW-Authenticate and in the JSON body. DPoP (RFC 9449 §7.1): a DPoP challenge with invalid_token, invalid_dpop_proof or use_dpop_nonce (then with DPoP-Nonce)', ref('OAuthError')),
      headers: { 'WWW-Authenticate': { required: true, schema: { type: 'string' } } },
    },
    403: response('Unauthorized'),
  };
}

function managementPath(): Json {
  const security = [{ registrationAccessToken: [] }];
  const common = { tags: ['RFC 7592'], security };
  const current = jsonOk('Client information response');
  return {
    parameters: [pathParameter('client_id', 'The client_id issued at registration')],
    // 400: a client_id that is not UTF-8 text (or holds NUL) is invalid_request before any token is checked.
    get: { ...common, operationId: 'readClient', summary: 'Read the registration', responses: { 200: current, 400: response('BadRequest'), 401: response('Unauthorized') } },
    put: { ...common, operationId: 'updateClient', summary: 'Replace the registration', requestBody: jsonBody(mergeSchemas(updateSchema)), responses: { 200: current, 400: response('BadRequest'), 401: response('Unauthorized') } },
    delete: { ...common, operationId: 'deleteClient', summary: 'Delete the client and revoke its grants', responses: { 204: { description: 'Deleted' }, 400: response('BadRequest'), 401: response('Unauthorized') } },
  };
}

/** Operations that never wait for the database: they keep answering through a database fault. */
const WITHOUT_DATABASE = new Set<string>([PATHS.discovery, PATHS.asMetadata, OPENAPI_PATH]);

/**
 * The answers any operation can get before its endpoint runs: 408 and 431 from the listener, 413
 * from the body parser of every operation that takes a body; and 503 with Retry-After from every
 * operation that needs the database while it does not answer within DATABASE_TIMEOUT.
 */
function withTransportResponses(paths: Json): Json {
  for (const [path, item] of Object.entries(paths) as [string, Json][]) {
    for (const operation of Object.values(item).filter((value): value is Json => typeof value === 'object' && value !== null && 'responses' in value)) {
      const responses = operation.responses as Json;
      if (operation.requestBody) responses[413] = response('PayloadTooLarge');
      responses[408] = response('RequestTimeout');
      responses[431] = response('HeadersTooLarge');
      if (!WITHOUT_DATABASE.has(path)) responses[503] = response('Unavailable');
    }
  }
  return paths;
}

/**
 * The whole document. With an issuer it names the server; without one (the committed openapi.json)
 * the paths are relative to wherever Castellan is deployed.
 */
export function openApiDocument(issuer?: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Castellan',
      version: VERSION,
      summary: 'OAuth 2.1 authorization server and OpenID Connect provider',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    ...(issuer ? { servers: [{ url: issuer }] } : {}),
    paths: withTransportResponses({ ...protocolPaths(), ...pagePaths(), ...inspectorPaths() }),
    components: { ...COMPONENTS, schemas: { ...(COMPONENTS.schemas as Json), TokenResponse: tokenResponse } },
  };
}
