/**
 * Syntax of the authorization request's parameters. Policy (is PKCE required, which scopes) lives in
 * authorization-request.ts; parameters not declared here are stripped, as the spec asks.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @spec https://www.rfc-editor.org/rfc/rfc7636#section-4.3 (code_challenge, code_challenge_method)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 * @spec https://openid.net/specs/oauth-v2-multiple-response-types-1_0.html#ResponseModes (response_mode)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.1 (resource, may repeat)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-10 (dpop_jkt: a JWK SHA-256 thumbprint)
 */
import type { JsonSchemaObject } from '../schema/validator.js';
import { RESOURCE_PARAMETER } from '../rfc8707-resource-indicators/resource-indicator.js';

/** Lengths chosen to fit real clients (the certification suite sends 128-char states) and bound storage. */
export const STATE_MAX_LENGTH = 2048;

const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;

export interface AuthorizationRequestParams {
  client_id: string;
  redirect_uri: string;
  response_type?: string;
  response_mode?: string;
  scope?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  nonce?: string;
  prompt?: string;
  max_age?: string;
  login_hint?: string;
  id_token_hint?: string;
  ui_locales?: string;
  claims?: string;
  acr_values?: string;
  resource?: string | string[];
  dpop_jkt?: string;
}

export const authorizationRequestSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    client_id: text(255),
    redirect_uri: text(2048),
    response_type: text(255),
    response_mode: text(64),
    scope: text(2048),
    state: text(STATE_MAX_LENGTH),
    // RFC 7636 §4.2: BASE64URL(SHA-256(verifier)) is 43 characters; the range leaves room for §4.1-style values.
    code_challenge: { type: 'string', pattern: '^[A-Za-z0-9_-]{43,128}$' },
    code_challenge_method: text(32),
    nonce: text(1024),
    prompt: text(255),
    // OIDC Core §3.1.2.1: seconds, a non-negative integer.
    max_age: { type: 'string', pattern: '^[0-9]{1,10}$' },
    login_hint: text(255),
    id_token_hint: text(8192),
    ui_locales: text(255),
    claims: text(8192),
    resource: RESOURCE_PARAMETER,
    // RFC 9449 §10: base64url of a SHA-256 thumbprint (RFC 7638) is 43 characters.
    dpop_jkt: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
    // OIDC Core §3.1.2.1: space-separated, in order of preference; voluntary.
    acr_values: text(1024),
  },
  required: ['client_id', 'redirect_uri'],
};
