/**
 * Client authentication parameters that may appear in a token request body.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 (client_id, client_secret)
 * @spec https://www.rfc-editor.org/rfc/rfc7521#section-4.2 (client_assertion, client_assertion_type)
 */
import type { JsonSchemaObject } from '../schema/validator.js';

export interface ClientAuthenticationParams {
  client_id?: string;
  client_secret?: string;
  client_assertion_type?: string;
  client_assertion?: string;
}

export const clientAuthenticationSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    client_id: { type: 'string', maxLength: 255 },
    client_secret: { type: 'string', maxLength: 512 },
    client_assertion_type: { type: 'string', maxLength: 256 },
    // Room for an RS4096-signed JWT with a certificate chain; the form body is capped at 64 KiB anyway.
    client_assertion: { type: 'string', maxLength: 16384 },
  },
};
