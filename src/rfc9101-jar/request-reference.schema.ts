/**
 * The two parameters that make an authorization request refer to a request object or a pushed
 * request, read before the rest of the request (which they replace) is validated.
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-5 (request, request_uri)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-4 (request_uri of a pushed request)
 */
import type { JsonSchemaObject } from '../schema/validator.js';
import { REQUEST_OBJECT_MAX_LENGTH } from './request-object.js';

export interface RequestReferenceParams {
  request?: string;
  request_uri?: string;
}

export const requestReferenceSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    request: { type: 'string', maxLength: REQUEST_OBJECT_MAX_LENGTH, description: 'RFC 9101 request object (a JWT) by value' },
    request_uri: { type: 'string', maxLength: 2048, description: 'RFC 9126 request_uri from /par, or an https URL registered in request_uris' },
  },
};
