/**
 * The user's decision on a device authorization, each one transaction: the interaction is used up,
 * the request changes state only if it is still pending and unexpired (a conditional update, so an
 * expiry, a second tab or a second node cannot race it), and on approval the grant row is written
 * with the approving session's user, auth_time, acr, amr and sid: the device's tokens all carry its id.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.3 (the user approves or denies)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#IDToken (auth_time, acr, amr)
 */
import type { Request } from 'express';
import { sessionGrant } from '../rfc6749-oauth2/authorization-code-issuer.js';
import { OAuthError } from '../errors/oauth-error.js';
import { clientNoLongerRegistered } from '../errors/recurring-errors.js';
import { requestOrigin } from '../security/audit.js';
import type { Context } from '../server/context.js';
import type { SessionRecord } from '../storage/stores.js';
import type { Interaction, DeviceVerification } from '../ui/interaction.js';

export type DeviceDecision = 'approve' | 'deny';

const noLongerPending = () => new OAuthError('invalid_request', 'This code has expired or was already used. Start again on your device.', { requirement: 'RFC8628-3.3-2' });

export async function decideDevice(ctx: Context, req: Request, interaction: Interaction & { device: DeviceVerification }, session: SessionRecord, decision: DeviceDecision): Promise<void> {
  const { deviceCodeHash } = interaction.device;
  const origin = requestOrigin(ctx, req);
  // Its refresh lifetime bounds the grant; a client removed meanwhile gets nothing approved.
  const client = await ctx.stores.clients.find(interaction.request.clientId);
  if (!client) throw clientNoLongerRegistered();
  await ctx.stores.transaction(async (tx) => {
    const now = ctx.clock();
    if (!(await ctx.stores.interactions.take(interaction.uidHash, tx))) throw new OAuthError('invalid_request', 'This sign-in request was already completed', { requirement: 'RFC8628-3.3-2' });
    const device = await ctx.stores.deviceAuthorizations.find(deviceCodeHash, tx);
    if (!device) throw noLongerPending();
    if (decision === 'deny') {
      if (!(await ctx.stores.deviceAuthorizations.deny(deviceCodeHash, session.userId, now, tx))) throw noLongerPending();
      await ctx.stores.audit.record({ type: 'device.denied', clientId: device.clientId, userId: session.userId, ...origin, details: { sid: session.sid } }, now, tx);
      return;
    }
    const grant = sessionGrant(ctx, client, session, { scope: device.scope, claims: null, resource: null }, now);
    if (!(await ctx.stores.deviceAuthorizations.approve(deviceCodeHash, grant.id, session.userId, now, tx))) throw noLongerPending();
    const event = { type: 'device.approved', clientId: device.clientId, userId: session.userId, ...origin, details: { grant_id: grant.id, scope: device.scope, sid: session.sid } };
    await ctx.stores.insertNewRows({ grants: [grant], auditEvents: [{ event, at: now }] }, undefined, tx);
  });
}
