/**
 * Redeeming a user's approved grant for tokens, once: what the authorization code grant and the
 * device code grant share after each has checked its own artifact. The access token; a refresh token
 * where the client may refresh (OIDC Core §11: OpenID requests only with offline_access); an ID token
 * for OpenID requests; and the single-use consumption whose replay revokes the grant.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (a second use is refused and revokes what the first issued)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.5 (the device code grant issues the same set)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#TokenResponse (an ID token for openid)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { scopeList } from '../oidc-core/claims.js';
import type { Context } from '../server/context.js';
import type { GrantOutcome, TokenRequestContext } from '../server/grant-registry.js';
import type { ClientRecord, GrantRecord, SingleUseConsumption, UserProfile } from '../storage/stores.js';
import { clientMayRefresh } from './refresh-token.js';
import { revokeOnReplayNow, type ReplayReason } from './replay-revocation.js';
import { issueTokenSet } from './token-response.js';

/**
 * A refresh token goes to clients registered for the refresh_token grant; for OpenID requests only
 * when offline_access was granted (OIDC Core §11), plain OAuth requests need no such scope.
 */
export function refreshAllowed(client: ClientRecord, scope: string): boolean {
  if (!clientMayRefresh(client.metadata.grant_types)) return false;
  const scopes = scopeList(scope);
  return !scopes.includes('openid') || scopes.includes('offline_access');
}

export interface Redemption {
  grant: GrantRecord;
  client: ClientRecord;
  scope: string;
  /** RFC 8707 audience narrowed by the token request, when it was. */
  audience?: string[] | null;
  nonce: string | null;
  /** The grant's user for the ID token; asked only for OpenID requests. */
  user(): Promise<UserProfile | null | undefined> | UserProfile | null | undefined;
  /** The artifact this redemption uses up, and how its replay is named and answered. */
  artifact: { kind: SingleUseConsumption['kind']; hash: string; replay: ReplayReason; usedTwice: string };
  request: TokenRequestContext;
}

const invalidGrant = (description: string, requirement: string) => new OAuthError('invalid_grant', description, { requirement });

export async function redeemGrant(ctx: Context, redemption: Redemption): Promise<GrantOutcome> {
  const { grant, client, scope, artifact, request } = redemption;
  let user: UserProfile | undefined;
  if (scopeList(scope).includes('openid')) {
    // A grant whose user is gone is no longer valid.
    user = (await redemption.user()) ?? undefined;
    if (!user) throw invalidGrant('the authorization grant is no longer valid', 'RFC6749-4.1.3-3');
  }
  const tokens = await issueTokenSet(ctx, {
    grant,
    client,
    scope,
    audience: redemption.audience,
    refreshScope: refreshAllowed(client, scope) ? scope : undefined,
    idToken: user ? { user, nonce: redemption.nonce } : undefined,
    // RFC 9449: with a proof the tokens are bound to its key (a public client's refresh token too).
    dpopJkt: request.dpopJkt,
    // RFC 8705 §3: and to the client certificate, for a client registered for that.
    certThumbprint: request.certThumbprint,
  });
  return {
    body: tokens.body,
    userId: grant.userId,
    details: tokens.summary,
    newRows: tokens.rows,
    consume: {
      kind: artifact.kind,
      hash: artifact.hash,
      async replayed() {
        await revokeOnReplayNow(ctx, grant.id, client.clientId, artifact.replay, request.origin);
        return invalidGrant(artifact.usedTwice, 'RFC6749-4.1.2-2');
      },
    },
  };
}
