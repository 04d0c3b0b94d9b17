/**
 * Parameters of the client credentials token request, and the scope syntax shared by token requests.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.3 (scope-token = 1*( %x21 / %x23-5B / %x5D-7E ))
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.2 (resource)
 */
import type { JsonSchemaObject } from '../schema/validator.js';
import { RESOURCE_PARAMETER } from '../rfc8707-resource-indicators/resource-indicator.js';

const SCOPE_TOKEN = '[\\x21\\x23-\\x5B\\x5D-\\x7E]+';

/** A space-delimited list of scope tokens, as §3.3 defines it. */
export const SCOPE_PARAMETER = { type: 'string', maxLength: 2048, pattern: `^${SCOPE_TOKEN}( ${SCOPE_TOKEN})*$` } as const;

export interface ClientCredentialsInput {
  scope?: string;
  resource?: string | string[];
}

export const clientCredentialsSchema: JsonSchemaObject = {
  type: 'object',
  properties: { scope: SCOPE_PARAMETER, resource: RESOURCE_PARAMETER },
};
