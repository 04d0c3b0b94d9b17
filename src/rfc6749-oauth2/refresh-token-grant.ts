/**
 * The refresh token grant with rotation on every use: the presented token is consumed and its child
 * inserted in one transaction; a consumed token that comes back revokes the whole grant. A FAPI 2.0
 * client's refresh token is not rotated: FAPI 2.0 SP discourages rotation for its confidential,
 * sender-constrained clients and requires that a retry with the previous token succeed, which a
 * token that stays valid does whatever the retry's DPoP key.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-6 (the scope may only narrow: scope-policy.ts)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.4 (bound to the client)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (rotation and reuse detection; an opt-in grace period for retries)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.2 (resource: a subset of the grant's; the refresh token keeps the grant)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-5 (a bound refresh token needs a proof by its key)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-4 (a certificate-bound one, the same certificate)
 * @spec https://openid.net/specs/fapi-security-profile-2_0-final.html#section-5.3.2.1 (clause 10 and Note 2: no rotation unless a retry succeeds)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { scopeList } from '../oidc-core/claims.js';
import { checkBoundKey } from '../rfc9449-dpop/dpop-binding.js';
import { checkBoundCertificate } from '../rfc8705-mtls/certificate-binding.js';
import { isFapi2Client } from '../fapi2-security-profile/client-profile.js';
import { narrowResources } from '../rfc8707-resource-indicators/resource-policy.js';
import type { GrantModule } from '../server/grant-registry.js';
import { hashHandle } from '../tokens/handles.js';
import { refreshTokenSchema, type RefreshTokenInput } from './refresh-token-grant.schema.js';
import { revokeOnReplayNow } from './replay-revocation.js';
import { retryAnswer, reuseGrace, sealRetryAnswer } from './refresh-reuse-grace.js';
import { refreshScope } from './scope-policy.js';
import { issueTokenSet } from './token-response.js';

const invalidGrant = (description: string, requirement: string) => new OAuthError('invalid_grant', description, { requirement });

export const refreshTokenGrant: GrantModule<RefreshTokenInput> = {
  grantType: 'refresh_token',
  schema: refreshTokenSchema,

  async handle(ctx, input, client, { origin, dpopJkt, certThumbprint }) {
    const now = ctx.clock();
    const tokenHash = hashHandle(input.refresh_token);
    const presented = await ctx.stores.refreshTokens.find(tokenHash);
    // RFC 6749 §10.4: the token is bound to its client; another client's token is refused and left intact.
    if (!presented || presented.clientId !== client.clientId) throw invalidGrant('the refresh token is invalid', 'RFC6749-6-1');
    if (presented.consumedAt !== null) {
      // A retry within the client's opt-in grace period gets the rotation's own answer (refresh-reuse-grace.ts).
      checkBoundKey(presented.dpopJkt, dpopJkt, 'refresh token');
      checkBoundCertificate(presented.x5tS256, certThumbprint);
      const again = await retryAnswer(ctx, client, input.refresh_token, tokenHash, dpopJkt !== undefined);
      if (again) return { body: again, userId: null, details: { grant_id: presented.grantId, retried_within_grace: true }, newRows: {} };
      // RFC 9700 §4.14.2: a rotated token presented again means one copy is stolen; end the family.
      await revokeOnReplayNow(ctx, presented.grantId, client.clientId, 'refresh_token_reuse', origin);
      throw invalidGrant('the refresh token was already used', 'RFC9700-4.14.2-1');
    }
    if (presented.expiresAt <= now) throw invalidGrant('the refresh token has expired', 'RFC6749-6-4');
    // RFC 9449 §5: checked before anything is used up, so a thief without the key changes nothing.
    checkBoundKey(presented.dpopJkt, dpopJkt, 'refresh token');
    checkBoundCertificate(presented.x5tS256, certThumbprint);
    const grant = await ctx.stores.grants.find(presented.grantId);
    if (!grant || grant.clientId !== client.clientId || grant.revokedAt !== null || grant.expiresAt <= now) {
      throw invalidGrant('the authorization grant is no longer valid', 'RFC6749-6-4');
    }
    // RFC 6749 §6: the scope may only narrow (scope-policy.ts).
    const scope = refreshScope(input.scope, presented.scope, client);
    const audience = narrowResources(input.resource, grant.resource);

    let user;
    if (scopeList(scope).includes('openid')) {
      user = grant.userId ? await ctx.stores.users.findById(grant.userId) : undefined;
      if (!user) throw invalidGrant('the authorization grant is no longer valid', 'RFC6749-6-4');
    }
    // FAPI 2.0 SP §5.3.2.1: the presented token stays valid and the answer carries no new one (RFC 6749 §6 lets the server choose).
    const rotate = !isFapi2Client(client.metadata);
    const tokens = await issueTokenSet(ctx, {
      grant,
      client,
      scope,
      audience,
      // RFC 6749 §6: a new refresh token keeps the scope of the one presented, whatever was narrowed.
      refreshScope: rotate ? presented.scope : undefined,
      // OIDC Core §12.2: same sub and auth_time (both from the grant); no nonce on refresh.
      idToken: user ? { user, nonce: null } : undefined,
      dpopJkt,
      certThumbprint,
    });

    if (!rotate) return { body: tokens.body, userId: grant.userId, details: { ...tokens.summary, rotated: false }, newRows: tokens.rows };
    return {
      body: tokens.body,
      userId: grant.userId,
      details: { ...tokens.summary, rotated: true },
      newRows: { ...tokens.rows, refreshRetryAnswers: reuseGrace(client) > 0 ? [sealRetryAnswer(input.refresh_token, tokenHash, client, grant.id, tokens.body, now)] : [] },
      consume: {
        kind: 'refresh_token',
        hash: tokenHash,
        async replayed() {
          // Lost a race with a concurrent use of the same token: within the grace period that was the
          // same client retrying, and the winner's answer (committed with its rotation) is this one's too.
          const again = await retryAnswer(ctx, client, input.refresh_token, tokenHash, dpopJkt !== undefined);
          if (again) return again;
          await revokeOnReplayNow(ctx, grant.id, client.clientId, 'refresh_token_reuse', origin);
          return invalidGrant('the refresh token was already used', 'RFC9700-4.14.2-1');
        },
      },
    };
  },
};
