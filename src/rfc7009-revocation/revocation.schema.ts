/**
 * Parameters of a revocation request (client authentication parameters are validated apart).
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.1 (token REQUIRED, token_type_hint OPTIONAL)
 */
import type { JsonSchemaObject } from '../schema/validator.js';
import { TOKEN_MAX_LENGTH } from '../rfc7662-introspection/introspection.schema.js';

export interface RevocationParams {
  token: string;
  token_type_hint?: string;
}

export const revocationSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    token: { type: 'string', maxLength: TOKEN_MAX_LENGTH },
    // Unknown values are ignored rather than refused: the hint only orders the lookups (§2.1).
    token_type_hint: { type: 'string', maxLength: 128 },
  },
  required: ['token'],
};
