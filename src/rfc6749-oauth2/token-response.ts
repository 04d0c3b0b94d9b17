/**
 * Mints the tokens of one successful token response in memory and builds the §5.1 body; the rows
 * are written later by the endpoint, in one atomic write with the grant's other rows.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.3 (scope in the response when it differs from the request)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#TokenResponse
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-5 (token_type DPoP; public clients' refresh tokens bound)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-6 (bound access tokens carry or record cnf.jkt)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3 (certificate-bound access tokens carry or record cnf x5t#S256)
 */
import type { Context } from '../server/context.js';
import type { ClientRecord, GrantRecord, NewRows, UserProfile } from '../storage/stores.js';
import { mintAccessToken, type IssuedAccessToken } from '../tokens/access-token.js';
import { mintIdToken } from '../oidc-core/id-token.js';
import { accessTokenFormat, type AccessTokenFormat } from '../rfc9068-jwt-access-token/access-token-format.js';
import { tokenLifetime } from '../clients/token-lifetimes.js';
import { mintRefreshToken, type IssuedRefreshToken } from './refresh-token.js';

export interface TokenResponseBody {
  access_token: string;
  /** RFC 9449 §5: DPoP when the access token is bound to the request's proof key. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
  /** RFC 8693 §2.2.1: the type of the token issued by a token exchange. */
  issued_token_type?: string;
}

export interface TokenSetRequest {
  grant: GrantRecord;
  client: ClientRecord;
  /** Scope of the access token. */
  scope: string;
  /** RFC 8707 audience of the access token when narrowed below the grant's resources. */
  audience?: string[] | null;
  /** Scope of a refresh token to issue; none is issued when absent. */
  refreshScope?: string;
  /** Present when an ID token is to be issued. */
  idToken?: { user: UserProfile; nonce: string | null };
  /** Overrides the client's and the audience's choice (RFC 8693 requested_token_type jwt). */
  format?: AccessTokenFormat;
  /** Latest expiry of the access token (RFC 8693: never past the subject token's). */
  notAfter?: number;
  /**
   * RFC 9449: the thumbprint of the token request's DPoP proof key (`TokenRequestContext.dpopJkt`),
   * or undefined without a proof. Required, so no grant can forget it: the access token is bound to
   * it, and so is a public client's refresh token.
   */
  dpopJkt: string | undefined;
  /**
   * RFC 8705: the thumbprint of the client certificate the tokens are bound to
   * (`TokenRequestContext.certThumbprint`), required for the same reason.
   */
  certThumbprint: string | undefined;
}

export interface IssuedTokenSet {
  body: TokenResponseBody;
  accessToken: IssuedAccessToken;
  refreshToken?: IssuedRefreshToken;
  /** The new rows; signing already happened, so the write that follows stays short. */
  rows: Pick<NewRows, 'accessTokens' | 'refreshTokens'>;
  /** What the audit event may say about this issuance (never a token). */
  summary: Record<string, unknown>;
}

export async function issueTokenSet(ctx: Context, request: TokenSetRequest): Promise<IssuedTokenSet> {
  const { grant, client, scope } = request;
  const audience = request.audience === undefined ? grant.resource : request.audience;
  const accessToken = await mintAccessToken(ctx, {
    grant,
    scope,
    format: request.format ?? accessTokenFormat(ctx.config, client.metadata, audience),
    audience,
    subject: grant.subject ?? grant.userId ?? client.clientId,
    notAfter: request.notAfter,
    lifetime: tokenLifetime(ctx.config, client.metadata, 'access_token'),
    dpopJkt: request.dpopJkt,
    x5tS256: request.certThumbprint,
  });
  // RFC 9449 §5, RFC 8705 §4: a public client's refresh token is bound to the request's DPoP key and
  // certificate; a confidential client's is not (it authenticates anyway), its access tokens are.
  const bindRefresh = client.metadata.token_endpoint_auth_method === 'none';
  const refreshToken = request.refreshScope !== undefined
    ? mintRefreshToken(ctx, client, grant, request.refreshScope, bindRefresh ? request.dpopJkt : undefined, bindRefresh ? request.certThumbprint : undefined)
    : undefined;
  const idToken = request.idToken
    ? await mintIdToken(ctx, { grant, client, user: request.idToken.user, nonce: request.idToken.nonce, accessToken: accessToken.token })
    : undefined;

  const body: TokenResponseBody = {
    access_token: accessToken.token,
    token_type: request.dpopJkt !== undefined ? 'DPoP' : 'Bearer',
    expires_in: accessToken.record.expiresAt - ctx.clock(),
  };
  // RFC 6749 §3.3: scope MUST be sent when it differs from the request (scope-policy.ts may drop values);
  // sending it always means no grant has to remember what was asked.
  if (scope) body.scope = scope;
  if (refreshToken) body.refresh_token = refreshToken.token;
  if (idToken) body.id_token = idToken;

  return {
    body,
    accessToken,
    refreshToken,
    summary: { grant_id: grant.id, scope, ...(audience ? { audience } : {}), access_token_format: accessToken.record.format, refresh_token: Boolean(refreshToken), id_token: Boolean(idToken), ...(request.dpopJkt !== undefined ? { dpop_jkt: request.dpopJkt } : {}), ...(request.certThumbprint !== undefined ? { x5t_s256: request.certThumbprint } : {}) },
    rows: { accessTokens: [accessToken.record], refreshTokens: refreshToken ? [refreshToken.record] : [] },
  };
}
