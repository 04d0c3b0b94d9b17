/**
 * GET/POST /interaction/:uid/device: the device consent step. It names the client, the scopes and
 * the signed-in user, shows the code to compare with the device's screen, and warns that the code
 * must come from a device the user is holding. It is always shown: remembered consent never approves
 * a device. Approve or Deny, then a 303 to the "return to your device" page.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.3 (the user approves or denies)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-5.4 (remote phishing)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.12 (303 after POST)
 */
import { Router, type Request, type Response } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { clientNoLongerRegistered } from '../errors/recurring-errors.js';
import { formBody, formParams } from '../http/params.js';
import { handle, noStore, sendErrorPage } from '../http/respond.js';
import { scopeList } from '../oidc-core/claims.js';
import type { Context } from '../server/context.js';
import { approvingSession } from '../ui/interaction-routes.js';
import { checkCsrf, clearInteractionCookie, interactionUrl, loadInteraction, type DeviceVerification, type Interaction } from '../ui/interaction.js';
import { deviceDonePath } from './code-entry-routes.js';
import { decideDevice } from './device-decision.js';
import { renderDeviceConsentPage } from './verification-pages.js';

type Page = (ctx: Context, req: Request, res: Response) => Promise<void>;
type DeviceInteraction = Interaction & { device: DeviceVerification };

export function deviceConsentRouter(ctx: Context): Router {
  const router = Router();
  const route = (page: Page) => handle((req, res) => page(ctx, req, res), (res, error) => sendErrorPage(res, error, ctx.logger));
  router.get('/interaction/:uid/device', route(showConsent));
  router.post('/interaction/:uid/device', formBody, route(submitConsent));
  return router;
}

const expired = () => new OAuthError('invalid_request', 'This code has expired or was already used. Start again on your device.', { requirement: 'RFC8628-3.3-2' });

async function loadDeviceInteraction(ctx: Context, req: Request): Promise<DeviceInteraction> {
  const interaction = await loadInteraction(ctx, req, String(req.params.uid));
  if (!interaction.device) throw new OAuthError('invalid_request', 'This sign-in request does not belong to a device.', { requirement: 'RFC8628-3.3-2' });
  return interaction as DeviceInteraction;
}

function backToLogin(ctx: Context, res: Response, interaction: Interaction): void {
  noStore(res);
  res.redirect(303, interactionUrl(ctx, interaction.uid, 'login'));
}

async function showConsent(ctx: Context, req: Request, res: Response): Promise<void> {
  const interaction = await loadDeviceInteraction(ctx, req);
  const session = await approvingSession(ctx, req, interaction);
  if (!session) return backToLogin(ctx, res, interaction);
  const device = await ctx.stores.deviceAuthorizations.find(interaction.device.deviceCodeHash);
  if (!device || device.status !== 'pending' || device.expiresAt <= ctx.clock()) throw expired();
  const [user, client] = await Promise.all([ctx.stores.users.findById(session.userId), ctx.stores.clients.find(device.clientId)]);
  if (!user) return backToLogin(ctx, res, interaction);
  if (!client) throw clientNoLongerRegistered();
  noStore(res);
  res.status(200).type('text/html').send(renderDeviceConsentPage({
    action: 'device',
    csrf: interaction.csrf,
    clientName: client.metadata.client_name ?? client.clientId,
    username: user.username,
    scopes: scopeList(device.scope),
    userCode: interaction.device.userCode,
  }));
}

async function submitConsent(ctx: Context, req: Request, res: Response): Promise<void> {
  const interaction = await loadDeviceInteraction(ctx, req);
  const form = formParams(req);
  checkCsrf(interaction, form.csrf);
  const session = await approvingSession(ctx, req, interaction);
  if (!session) return backToLogin(ctx, res, interaction);
  const decision = form.decision;
  if (decision !== 'approve' && decision !== 'deny') throw new OAuthError('invalid_request', 'Choose Allow or Deny.', { requirement: 'CASTELLAN-FORMS-1' });
  await decideDevice(ctx, req, interaction, session, decision);
  clearInteractionCookie(ctx, res, interaction.uid);
  noStore(res);
  res.redirect(303, deviceDonePath(ctx, decision === 'approve'));
}
