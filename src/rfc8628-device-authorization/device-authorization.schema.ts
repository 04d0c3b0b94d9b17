/**
 * Parameters of the device authorization request (client authentication parameters are validated apart).
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.1 (client_id, scope)
 */
import { SCOPE_PARAMETER } from '../rfc6749-oauth2/client-credentials-grant.schema.js';
import type { JsonSchemaObject } from '../schema/validator.js';

export interface DeviceAuthorizationParams {
  scope?: string;
}

export const deviceAuthorizationSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    // The same §3.3 scope syntax as every token request.
    scope: SCOPE_PARAMETER,
  },
};
