/**
 * Parameters of the refresh token request.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.2 (resource)
 */
import type { JsonSchemaObject } from '../schema/validator.js';
import { RESOURCE_PARAMETER } from '../rfc8707-resource-indicators/resource-indicator.js';
import { SCOPE_PARAMETER } from './client-credentials-grant.schema.js';

export interface RefreshTokenInput {
  refresh_token: string;
  scope?: string;
  resource?: string | string[];
}

export const refreshTokenSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    // Our refresh tokens are 43 characters; the limit only bounds the work done on garbage.
    refresh_token: { type: 'string', maxLength: 512 },
    scope: SCOPE_PARAMETER,
    resource: RESOURCE_PARAMETER,
  },
  required: ['refresh_token'],
};
