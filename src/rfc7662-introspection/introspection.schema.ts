/**
 * Parameters of an introspection request (client authentication parameters are validated apart).
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1 (token REQUIRED, token_type_hint OPTIONAL)
 */
import type { JsonSchemaObject } from '../schema/validator.js';

/** Room for a JWT access token with many claims; our opaque handles are 43 characters. */
export const TOKEN_MAX_LENGTH = 8192;

export interface IntrospectionParams {
  token: string;
  token_type_hint?: string;
}

export const introspectionSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    token: { type: 'string', maxLength: TOKEN_MAX_LENGTH },
    // Any value is accepted and unknown ones are ignored: the hint only orders the lookups.
    token_type_hint: { type: 'string', maxLength: 128 },
  },
  required: ['token'],
};
