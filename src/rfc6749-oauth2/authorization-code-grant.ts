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
import { verifyCodeVerifier } from '../rfc7636-pkce/code-verifier.js';
import { checkBoundKey } from '../rfc9449-dpop/dpop-binding.js';
import { narrowResources } from '../rfc8707-resource-indicators/resource-policy.js';
import type { GrantModule } from '../server/grant-registry.js';
import { hashHandle } from '../tokens/handles.js';
import { authorizationCodeSchema, type AuthorizationCodeInput } from './authorization-code-grant.schema.js';
import { redeemGrant } from './grant-redemption.js';
import { revokeOnReplayNow } from './replay-revocation.js';

const invalidGrant = (description: string, requirement: string) => new OAuthError('invalid_grant', description, { requirement });

export const authorizationCodeGrant: GrantModule<AuthorizationCodeInput> = {
  grantType: 'authorization_code',
  schema: authorizationCodeSchema,

  async handle(ctx, input, client, request) {
    const { origin, dpopJkt } = request;
    const now = ctx.clock();
    const codeHash = hashHandle(input.code);
    // One read for the code and its grant; a code whose grant is gone is as invalid as an unknown one.
    const found = await ctx.stores.codes.findWithGrant(codeHash);
    const code = found?.token;
    // Another client's code is answered like an unknown one and left untouched: revoking it here would
    // let any client kill a grant it merely saw.
    if (!code || code.clientId !== client.clientId) throw invalidGrant('the authorization code is invalid', 'RFC6749-4.1.3-1');
    if (code.consumedAt !== null) {
      // RFC 6749 §4.1.2: a second use is refused and what the first one issued is revoked.
      await revokeOnReplayNow(ctx, code.grantId, client.clientId, 'code_replay', origin);
      throw invalidGrant('the authorization code was already used', 'RFC6749-4.1.2-2');
    }
    if (code.expiresAt <= now) throw invalidGrant('the authorization code has expired', 'RFC6749-4.1.2-1');
    // RFC 6749 §4.1.3: redirect_uri must be identical to the one sent in the authorization request.
    if (input.redirect_uri !== code.redirectUri) throw invalidGrant('redirect_uri does not match the authorization request', 'RFC6749-4.1.3-2');
    verifyCodeVerifier(code, input.code_verifier, client.metadata.require_pkce);
    checkBoundKey(code.dpopJkt, dpopJkt, 'authorization code');

    const grant = found?.grant;
    if (!grant || grant.clientId !== client.clientId || grant.revokedAt !== null || grant.expiresAt <= now) {
      throw invalidGrant('the authorization grant is no longer valid', 'RFC6749-4.1.3-3');
    }
    return redeemGrant(ctx, {
      grant,
      client,
      scope: code.scope,
      audience: narrowResources(input.resource, grant.resource),
      nonce: code.nonce,
      // Read with the code, in the same statement.
      user: () => found.user,
      artifact: { kind: 'authorization_code', hash: codeHash, replay: 'code_replay', usedTwice: 'the authorization code was already used' },
      request,
    });
  },
};
