/**
 * The device_code grant at the token endpoint: the device polls with its device_code until the user
 * has decided. Pending -> authorization_pending (or slow_down when polled too soon, which raises
 * that code's interval by 5 s in the database, so it holds on every node); denied -> access_denied;
 * expired -> expired_token; approved -> the tokens, once: the device_code is consumed in the same
 * atomic write as the token rows, and a second redemption revokes the grant like a replayed code.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.4
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-5.2 (device code brute forcing: 256-bit handles, another client's code is unknown)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#IDToken (auth_time, acr, amr of the approving session)
 */
import { DEVICE_CODE_GRANT_TYPE } from '../clients/client-metadata.js';
import { OAuthError } from '../errors/oauth-error.js';
import { redeemGrant } from '../rfc6749-oauth2/grant-redemption.js';
import { revokeOnReplayNow } from '../rfc6749-oauth2/replay-revocation.js';
import type { GrantModule } from '../server/grant-registry.js';
import type { UserProfile } from '../storage/stores.js';
import { hashHandle } from '../tokens/handles.js';
import { deviceCodeSchema, type DeviceCodeInput } from './device-code-grant.schema.js';

/** RFC 8628 §3.5: on slow_down the interval MUST grow by 5 seconds for this and all later requests. */
export const SLOW_DOWN_PENALTY = 5;

const invalidGrant = (description: string, requirement: string) => new OAuthError('invalid_grant', description, { requirement });

export const deviceCodeGrant: GrantModule<DeviceCodeInput> = {
  grantType: DEVICE_CODE_GRANT_TYPE,
  schema: deviceCodeSchema,

  async handle(ctx, input, client, request) {
    const { origin } = request;
    const now = ctx.clock();
    const hash = hashHandle(input.device_code);
    const device = await ctx.stores.deviceAuthorizations.find(hash);
    // Another client's device_code is answered like an unknown one and left untouched (no poll recorded,
    // no revocation): holding it must neither tell the holder anything nor let it disturb the owner.
    if (!device || device.clientId !== client.clientId) throw invalidGrant('the device_code is invalid', 'RFC8628-5.2-1');
    if (device.consumedAt !== null) {
      if (device.grantId) await revokeOnReplayNow(ctx, device.grantId, client.clientId, 'device_code_replay', origin);
      throw invalidGrant('the device_code was already used', 'RFC8628-3.5-6');
    }
    if (device.expiresAt <= now) throw new OAuthError('expired_token', 'the device_code has expired; start a new device authorization', { requirement: 'RFC8628-3.5-4' });
    // §3.5 access_denied is a token endpoint error here (RFC 6749 §5.2: 400), not the authorization endpoint's 403.
    if (device.status === 'denied') throw new OAuthError('access_denied', 'the user denied the authorization request', { requirement: 'RFC8628-3.5-3', status: 400 });
    if (device.status === 'pending') {
      const poll = await ctx.stores.deviceAuthorizations.poll(hash, now, SLOW_DOWN_PENALTY);
      if (poll === 'too_fast') throw new OAuthError('slow_down', `polling too fast: wait at least ${device.pollInterval + SLOW_DOWN_PENALTY} seconds between requests`, { requirement: 'RFC8628-3.5-2' });
      throw new OAuthError('authorization_pending', 'the user has not yet completed the authorization', { requirement: 'RFC8628-3.5-1' });
    }

    const grant = device.grantId ? await ctx.stores.grants.find(device.grantId) : undefined;
    if (!grant || grant.clientId !== client.clientId || grant.revokedAt !== null || grant.expiresAt <= now || !grant.userId) {
      throw invalidGrant('the authorization grant is no longer valid', 'RFC8628-3.5-6');
    }
    const userId = grant.userId;
    return redeemGrant(ctx, {
      grant,
      client,
      scope: grant.scope,
      nonce: null,
      user: () => userForIdToken(ctx, userId),
      artifact: { kind: 'device_code', hash, replay: 'device_code_replay', usedTwice: 'the device_code was already used' },
      request,
    });
  },
};

/** The ID token's subject; undefined when the user was deleted since the approval. */
async function userForIdToken(ctx: Parameters<typeof deviceCodeGrant.handle>[0], userId: string): Promise<UserProfile | undefined> {
  const user = await ctx.stores.users.findById(userId);
  if (!user) return undefined;
  const { passwordHash: _secret, ...profile } = user;
  return profile;
}
