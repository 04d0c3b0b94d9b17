/**
 * Parameters of the authorization code token request.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @spec https://www.rfc-editor.org/rfc/rfc7636#section-4.5 (code_verifier)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.2 (resource)
 */
import type { JsonSchemaObject } from '../schema/validator.js';
import { RESOURCE_PARAMETER } from '../rfc8707-resource-indicators/resource-indicator.js';
import { CODE_VERIFIER_PATTERN } from '../rfc7636-pkce/code-verifier.js';

export interface AuthorizationCodeInput {
  code: string;
  redirect_uri: string;
  code_verifier?: string;
  resource?: string | string[];
}

export const authorizationCodeSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    // Our codes are 43 characters; the limit only bounds the work done on garbage.
    code: { type: 'string', maxLength: 512 },
    redirect_uri: { type: 'string', maxLength: 2048 },
    code_verifier: { type: 'string', maxLength: 128, pattern: CODE_VERIFIER_PATTERN },
    resource: RESOURCE_PARAMETER,
  },
  // Castellan always records redirect_uri in the authorization request, so §4.1.3 makes it required here.
  required: ['code', 'redirect_uri'],
};
