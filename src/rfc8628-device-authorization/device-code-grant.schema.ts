/**
 * Parameters of the device access token request.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.4 (device_code REQUIRED)
 */
import type { JsonSchemaObject } from '../schema/validator.js';

export interface DeviceCodeInput {
  device_code: string;
}

export const deviceCodeSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    // Our device codes are 43 characters; the limit only bounds the work done on garbage.
    device_code: { type: 'string', maxLength: 512 },
  },
  required: ['device_code'],
};
