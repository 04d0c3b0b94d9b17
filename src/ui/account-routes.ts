/**
 * GET /account/consents lists the clients the signed-in user consented to; POST
 * /account/consents/revoke withdraws one: the remembered consent goes (so the next authorization
 * asks again and prompt=none answers consent_required) and every grant of that user to that client
 * is revoked, offline_access ones included, killing its codes and tokens. CSRF-checked, 303 after POST.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#Consent
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess (the user may revoke offline access)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.12 (303 after POST)
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest (the client's sessions are told they ended)
 */
import { Router, type Request, type Response } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { formBody, formParams } from '../http/params.js';
import { handle, noStore, sendErrorPage, sendPage } from '../http/respond.js';
import { issuerPath } from '../http/session-cookie.js';
import { scopeList } from '../oidc-core/claims.js';
import { loadSession } from '../oidc-core/session.js';
import { enqueueBackChannelLogouts } from '../oidc-back-channel-logout/sender.js';
import { requestOrigin } from '../security/audit.js';
import type { Context } from '../server/context.js';
import type { SessionRecord, UserRecord } from '../storage/stores.js';
import { renderConsentsPage, renderNotSignedInPage, type ConsentEntry } from './consents-page.js';
import { checkFormSession, issueFormToken, openFormToken } from './session-form-token.js';

export const CONSENTS_PATH = '/account/consents';
export const REVOKE_PATH = '/account/consents/revoke';

type Page = (ctx: Context, req: Request, res: Response) => Promise<void>;

export function accountRouter(ctx: Context): Router {
  const router = Router();
  const route = (page: Page) => handle((req, res) => page(ctx, req, res), (res, error) => sendErrorPage(res, error, ctx.logger));
  router.get(CONSENTS_PATH, route(showConsents));
  router.post(REVOKE_PATH, formBody, route(revokeConsent));
  return router;
}

/** The live session and its user, or undefined (answered with the not-signed-in page). */
async function signedIn(ctx: Context, req: Request): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
  const session = await loadSession(ctx, req);
  const user = session ? await ctx.stores.users.findById(session.userId) : undefined;
  return session && user ? { session, user } : undefined;
}

async function clientName(ctx: Context, clientId: string): Promise<string> {
  const client = await ctx.stores.clients.find(clientId);
  return client?.metadata.client_name ?? clientId;
}

async function showConsents(ctx: Context, req: Request, res: Response): Promise<void> {
  const account = await signedIn(ctx, req);
  if (!account) return sendPage(res, 401, renderNotSignedInPage());
  const records = await ctx.stores.consents.listByUser(account.user.id);
  const consents: ConsentEntry[] = [];
  for (const record of records) {
    consents.push({ clientId: record.clientId, clientName: await clientName(ctx, record.clientId), scopes: scopeList(record.scope), grantedAt: record.grantedAt });
  }
  sendPage(res, 200, renderConsentsPage({
    action: issuerPath(ctx.config) + REVOKE_PATH,
    csrf: issueFormToken(ctx, 'consents', account.session.sid, null),
    username: account.user.username,
    consents,
  }));
}

async function revokeConsent(ctx: Context, req: Request, res: Response): Promise<void> {
  const form = formParams(req);
  const token = openFormToken<null>(ctx, 'consents', form.csrf);
  const account = await signedIn(ctx, req);
  if (!account) return sendPage(res, 401, renderNotSignedInPage());
  checkFormSession(token, account.session.sid);
  const clientId = form.client_id;
  if (typeof clientId !== 'string' || clientId.length > 255) throw new OAuthError('invalid_request', 'Choose one application to revoke.', { requirement: 'CASTELLAN-FORMS-1' });
  const userId = account.user.id;
  const now = ctx.clock();
  await ctx.stores.transaction(async (tx) => {
    // An unknown or already withdrawn consent changes nothing (a repeated POST lands here).
    if (!(await ctx.stores.consents.remove(userId, clientId, tx))) return;
    const grants = await ctx.stores.grants.listUnrevokedByUserAndClient(userId, clientId, tx);
    const revokedGrants = await ctx.stores.grants.revokeByUserAndClient(userId, clientId, 'consent_revoked', now, tx);
    // The client's sessions for this user end with its grants: tell it over the back channel, per sid.
    const deliveries: string[] = [];
    for (const sid of new Set(grants.map((grant) => grant.sid).filter((sid): sid is string => sid !== null))) {
      deliveries.push(...(await enqueueBackChannelLogouts(ctx, sid, grants.filter((grant) => grant.sid === sid), tx)));
    }
    await ctx.stores.audit.record({ type: 'consent.revoked', userId, clientId, ...requestOrigin(ctx, req), details: { revokedGrants, backchannelDeliveries: deliveries.length } }, now, tx);
  });
  noStore(res);
  res.redirect(303, issuerPath(ctx.config) + CONSENTS_PATH);
}
