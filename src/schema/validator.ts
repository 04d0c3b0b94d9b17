/**
 * The one Ajv instance, and the step that turns a request's parameters into validated, typed values
 * or an invalid_request OAuthError before any handler runs.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.1 (parameters sent without a value are omitted;
 *   parameters MUST NOT be included more than once; unrecognized parameters are ignored)
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { OAuthError, type OAuthErrorCode } from '../errors/oauth-error.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
type AddFormats = (instance: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

export const ajv = new Ajv({ allErrors: false, removeAdditional: 'all', useDefaults: true, coerceTypes: false, strict: true });
addFormats(ajv);

export type Params = Record<string, string | string[]>;

export interface JsonSchemaObject {
  type: 'object';
  properties: Record<string, unknown>;
  required?: readonly string[];
  additionalProperties?: boolean;
  [keyword: string]: unknown;
}

const compiled = new WeakMap<object, ValidateFunction>();

function compile(schema: JsonSchemaObject): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile({ ...schema, additionalProperties: false });
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * Validates and strips a copy of `params`. Repeated single-valued parameters arrive as arrays and
 * fail `type: string`, which is reported as "must not be included more than once".
 */
export function validateParams<T>(schema: JsonSchemaObject, params: Params, code: OAuthErrorCode = 'invalid_request'): T {
  const copy: Record<string, unknown> = { ...params };
  const validate = compile(schema);
  if (!validate(copy)) {
    const error = validate.errors?.[0];
    // RFC 6749 §3.1: a repeated parameter; anything else is the request syntax of §5.2.
    const requirement = error?.keyword === 'type' && Array.isArray(params[parameterName(error)]) ? 'RFC6749-3.1-3' : 'RFC6749-5.2-8';
    throw new OAuthError(code, describe(error, params), { requirement });
  }
  return copy as T;
}

/** The top-level parameter an ajv error is about. */
function parameterName(error: ErrorObject): string {
  return error.instancePath.replace(/^\//, '').split('/')[0] || String(error.params?.missingProperty ?? '');
}

function describe(error: ErrorObject | undefined | null, params: Params): string {
  if (!error) return 'The request is invalid';
  const name = parameterName(error);
  if (error.keyword === 'required') return `${error.params.missingProperty} is required`;
  if (error.keyword === 'type' && Array.isArray(params[name])) return `${name} must not be included more than once`;
  if (error.keyword === 'maxLength' || error.keyword === 'maxItems') return `${name} is too long`;
  if (error.keyword === 'enum' || error.keyword === 'const') return `${name} has an unsupported value`;
  return `${name} is malformed`;
}
