/**
 * Maps grant_type to its grant module. A grant reads and checks state, mints its tokens in memory,
 * and hands back the rows to write; it never sees req or res. The token endpoint owns ordering and
 * the one transaction. Extensions (token exchange, device code) call `registerGrant`.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.4
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-2.4 (no password grant; the implicit flow is not a grant)
 */
import type { OAuthError } from '../errors/oauth-error.js';
import type { JsonSchemaObject } from '../schema/validator.js';
import type { ClientRecord, NewRows, SingleUseConsumption } from '../storage/stores.js';
import type { TokenResponseBody } from '../rfc6749-oauth2/token-response.js';
import { authorizationCodeGrant } from '../rfc6749-oauth2/authorization-code-grant.js';
import { clientCredentialsGrant } from '../rfc6749-oauth2/client-credentials-grant.js';
import { refreshTokenGrant } from '../rfc6749-oauth2/refresh-token-grant.js';
import { deviceCodeGrant } from '../rfc8628-device-authorization/device-code-grant.js';
import { tokenExchangeGrant } from '../rfc8693-token-exchange/token-exchange-grant.js';
import type { RequestOrigin } from '../security/audit.js';
import type { Context } from './context.js';

export interface GrantOutcome {
  body: TokenResponseBody;
  /** For the audit event. */
  userId: string | null;
  details: Record<string, unknown>;
  /** The rows the outcome creates: the endpoint writes them with the audit event in one atomic insert. */
  newRows: Omit<NewRows, 'auditEvents'>;
  /**
   * The code or refresh token this request uses up, consumed in the same atomic
   * write. When it turns out already used, nothing is written and `replayed()` (revoking the grant
   * in its own transaction) gives the error to answer with, or, for a retry within a client's refresh
   * reuse grace period, the answer the winning request got.
   */
  consume?: { kind: SingleUseConsumption['kind']; hash: string; replayed(): Promise<OAuthError | TokenResponseBody> };
}

/** What the token endpoint's phases learned about the request beyond its parameters and client. */
export interface TokenRequestContext {
  /** Where the request came from, for the audit events a grant records itself (replays). */
  origin?: RequestOrigin;
  /**
   * RFC 9449: the JWK SHA-256 thumbprint of the request's valid DPoP proof, absent without one. A
   * grant passes it to `issueTokenSet` (its `dpopJkt`), which binds the tokens.
   */
  dpopJkt?: string;
  /** RFC 8705: the thumbprint of the client certificate the tokens are bound to; passed on to `issueTokenSet` likewise. */
  certThumbprint?: string;
}

export interface GrantModule<Input = Record<string, unknown>> {
  grantType: string;
  /** Validates this grant's own parameters (client authentication parameters are validated apart). */
  schema: JsonSchemaObject;
  handle(ctx: Context, input: Input, client: ClientRecord, request: TokenRequestContext): Promise<GrantOutcome>;
}

const grants = new Map<string, GrantModule>();

/** RFC 9700 §2.4: the password grant MUST NOT be used; implicit (§2.1.2) never was a token request. */
const FORBIDDEN_GRANT_TYPES = new Set(['password', 'implicit']);

export function registerGrant<Input>(grant: GrantModule<Input>): void {
  if (FORBIDDEN_GRANT_TYPES.has(grant.grantType)) throw new Error(`grant_type ${grant.grantType} must not be supported`);
  grants.set(grant.grantType, grant as unknown as GrantModule);
}

export function findGrant(grantType: string): GrantModule | undefined {
  return grants.get(grantType);
}

export function supportedGrantTypes(): string[] {
  return [...grants.keys()];
}

registerGrant(authorizationCodeGrant);
registerGrant(refreshTokenGrant);
registerGrant(clientCredentialsGrant);
registerGrant(deviceCodeGrant);
registerGrant(tokenExchangeGrant);
