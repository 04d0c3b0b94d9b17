/**
 * Parameters of the token exchange request. Syntax and sizes only: which token types, audiences and
 * scopes are acceptable is the client's exchange policy (exchange-policy.ts), decided in the grant.
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.1 (the request parameters)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2 (resource: absolute URIs, may repeat)
 */
import type { JsonSchemaObject } from '../schema/validator.js';
import { SCOPE_PARAMETER } from '../rfc6749-oauth2/client-credentials-grant.schema.js';
import { RESOURCE_MAX_COUNT, RESOURCE_PARAMETER } from '../rfc8707-resource-indicators/resource-indicator.js';
import { TOKEN_MAX_LENGTH } from '../rfc7662-introspection/introspection.schema.js';

export interface TokenExchangeInput {
  subject_token: string;
  subject_token_type: string;
  actor_token?: string;
  actor_token_type?: string;
  requested_token_type?: string;
  audience?: string | string[];
  resource?: string | string[];
  scope?: string;
}

const TOKEN = { type: 'string', maxLength: TOKEN_MAX_LENGTH } as const;
/** A URI naming a token type (RFC 8693 §3); which ones are accepted is decided by the grant. */
const TOKEN_TYPE = { type: 'string', maxLength: 256 } as const;
/** §2.1: audience is a logical name of the target service, not necessarily a URI; it may repeat. */
const AUDIENCE_PARAMETER = {
  if: { type: 'string' },
  then: { type: 'string', maxLength: 2048 },
  else: { type: 'array', maxItems: RESOURCE_MAX_COUNT, items: { type: 'string', maxLength: 2048 } },
} as const;

export const tokenExchangeSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    subject_token: TOKEN,
    subject_token_type: TOKEN_TYPE,
    actor_token: TOKEN,
    actor_token_type: TOKEN_TYPE,
    requested_token_type: TOKEN_TYPE,
    audience: AUDIENCE_PARAMETER,
    resource: RESOURCE_PARAMETER,
    scope: SCOPE_PARAMETER,
  },
  required: ['subject_token', 'subject_token_type'],
};
