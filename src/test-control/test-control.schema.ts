/**
 * Request bodies of the test control API (JSON), validated before the handlers run.
 */
import { FAILURE_ENDPOINTS, FAILURE_KINDS } from '../storage/test-control-records.js';
import type { JsonSchemaObject } from '../schema/validator.js';
import { MAX_DELAY_MS } from './forced-failures.js';
import { MAX_ADVANCE_SECONDS } from './test-clock.js';

/** POST /admin/test/clock: `advance` as an ISO 8601 duration ("PT1H") or a number of seconds. */
export const advanceSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    advance: { anyOf: [{ type: 'string', minLength: 2, maxLength: 64 }, { type: 'integer', minimum: 1, maximum: MAX_ADVANCE_SECONDS }] },
  },
  required: ['advance'],
};

/** The most responses one rule may force: enough for any test, small enough to be a mistake beyond. */
const MAX_FORCED_COUNT = 1000;

/** POST /admin/test/failures */
export const failureSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    client_id: { type: 'string', minLength: 1, maxLength: 255 },
    count: { type: 'integer', minimum: 1, maximum: MAX_FORCED_COUNT, default: 1 },
    failure: { type: 'string', enum: [...FAILURE_KINDS] },
    endpoint: { type: 'string', enum: [...FAILURE_ENDPOINTS], default: 'token' },
    delay_ms: { type: 'integer', minimum: 1, maximum: MAX_DELAY_MS },
  },
  required: ['client_id', 'failure'],
};
