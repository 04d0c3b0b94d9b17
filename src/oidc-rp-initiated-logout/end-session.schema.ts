/**
 * Syntax of the end-session (RP-Initiated Logout) request's parameters; undeclared ones are
 * stripped, a repeated one is invalid_request.
 * @spec https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 */
import { STATE_MAX_LENGTH } from '../rfc6749-oauth2/authorization-request.schema.js';
import type { JsonSchemaObject } from '../schema/validator.js';

const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;

export interface EndSessionParams {
  id_token_hint?: string;
  logout_hint?: string;
  client_id?: string;
  post_logout_redirect_uri?: string;
  state?: string;
  ui_locales?: string;
}

export const endSessionSchema: JsonSchemaObject = {
  type: 'object',
  properties: {
    id_token_hint: text(8192),
    logout_hint: text(255),
    client_id: text(255),
    post_logout_redirect_uri: text(2048),
    state: text(STATE_MAX_LENGTH),
    ui_locales: text(255),
  },
};
