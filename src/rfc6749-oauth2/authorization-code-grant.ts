/**
 * The authorization code grant at the token endpoint: the code must be the client's own, unexpired,
 * unused, sent with the same redirect_uri and a matching PKCE verifier; its grant must be live.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (single use; replay revokes issued tokens)
 * @spec https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#TokenRequestValidation
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.2 (resource: a subset of the grant's)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-10 (a code requested with dpop_jkt needs a proof by that key)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { scopeList } from '../oidc-core/claims.js';
import { verifyCodeVerifier } from '../rfc7636-pkce/code-verifier.js';
import { checkBoundKey } from '../rfc9449-dpop/dpop-binding.js';
import { narrowResources } from '../rfc8707-resource-indicators/resource-policy.js';
import type { GrantModule } from '../server/grant-registry.js';
import type { ClientRecord, UserProfile } from '../storage/stores.js';
import { hashHandle } from '../tokens/handles.js';
import type { Context } from '../server/context.js';
import { authorizationCodeSchema, type AuthorizationCodeInput } from './authorization-code-grant.schema.js';
import { clientMayRefresh } from './refresh-token.js';
import { revokeOnReplayNow } from './replay-revocation.js';
import { issueTokenSet } from './token-response.js';

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);

/**
 * A refresh token goes to clients registered for the refresh_token grant; for OpenID requests only
 * when offline_access was granted (OIDC Core §11), plain OAuth requests need no such scope.
 */
export function refreshAllowed(client: ClientRecord, scope: string): boolean {
  if (!clientMayRefresh(client.metadata.grant_types)) return false;
  const scopes = scopeList(scope);
  return !scopes.includes('openid') || scopes.includes('offline_access');
}

/** The ID token's subject, read with the code: a grant whose user is gone is no longer valid. */
function userForIdToken(user: UserProfile | null): UserProfile {
  if (!user) throw invalidGrant('the authorization grant is no longer valid');
  return user;
}

export const authorizationCodeGrant: GrantModule<AuthorizationCodeInput> = {
  grantType: 'authorization_code',
  schema: authorizationCodeSchema,

  async handle(ctx, input, client, { origin, dpopJkt }) {
    const now = ctx.clock();
    const codeHash = hashHandle(input.code);
    // One read for the code and its grant; a code whose grant is gone is as invalid as an unknown one.
    const found = await ctx.stores.codes.findWithGrant(codeHash);
    const code = found?.token;
    // Another client's code is answered like an unknown one and left untouched: revoking it here would
    // let any client kill a grant it merely saw.
    if (!code || code.clientId !== client.clientId) throw invalidGrant('the authorization code is invalid');
    if (code.consumedAt !== null) {
      // RFC 6749 §4.1.2: a second use is refused and what the first one issued is revoked.
      await revokeOnReplayNow(ctx, code.grantId, client.clientId, 'code_replay', origin);
      throw invalidGrant('the authorization code was already used');
    }
    if (code.expiresAt <= now) throw invalidGrant('the authorization code has expired');
    // RFC 6749 §4.1.3: redirect_uri must be identical to the one sent in the authorization request.
    if (input.redirect_uri !== code.redirectUri) throw invalidGrant('redirect_uri does not match the authorization request');
    verifyCodeVerifier(code, input.code_verifier, client.metadata.require_pkce);
    checkBoundKey(code.dpopJkt, dpopJkt, 'authorization code');

    const grant = found?.grant;
    if (!grant || grant.clientId !== client.clientId || grant.revokedAt !== null || grant.expiresAt <= now) {
      throw invalidGrant('the authorization grant is no longer valid');
    }
    const audience = narrowResources(input.resource, grant.resource);
    const openid = scopeList(code.scope).includes('openid');
    const tokens = await issueTokenSet(ctx, {
      grant,
      client,
      scope: code.scope,
      audience,
      refreshScope: refreshAllowed(client, code.scope) ? code.scope : undefined,
      idToken: openid ? { user: userForIdToken(found.user), nonce: code.nonce } : undefined,
      dpopJkt,
    });

    return {
      body: tokens.body,
      userId: grant.userId,
      details: tokens.summary,
      newRows: tokens.rows,
      consume: {
        kind: 'authorization_code',
        hash: codeHash,
        async replayed() {
          await revokeOnReplayNow(ctx, grant.id, client.clientId, 'code_replay', origin);
          return invalidGrant('the authorization code was already used');
        },
      },
    };
  },
};
