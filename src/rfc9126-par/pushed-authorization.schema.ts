/**
 * Parameters the pushed authorization request endpoint reads itself, before the authorization
 * request's own validation (src/rfc6749-oauth2/authorization-request.schema.ts) runs on the rest;
 * client authentication parameters are validated apart.
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-2.1 (request, and no request_uri)
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-5.1 (request by value)
 */
import type { JsonSchemaObject } from '../schema/validator.js';
import { requestReferenceSchema } from '../rfc9101-jar/request-reference.schema.js';

export interface PushedAuthorizationParams {
  client_id?: string;
  request?: string;
  request_uri?: string;
}

export const pushedAuthorizationSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    client_id: { type: 'string', maxLength: 255 },
    // request_uri is declared so its presence is refused with invalid_request, not silently dropped.
    ...requestReferenceSchema.properties,
  },
};
