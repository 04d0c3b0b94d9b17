/**
 * GET and POST /userinfo: the signed-in user's claims for a bearer access token that carries the
 * openid scope. Claims follow the token's scope plus those asked for under claims.userinfo.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse (signed answers: userinfo-response.ts)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#UserInfoError
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (invalid_token 401, insufficient_scope 403)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-7 (DPoP-bound tokens: the DPoP scheme and a proof)
 */
import { Router, type Request, type Response } from 'express';
import type { OAuthErrorCode } from '../errors/oauth-error.js';
import { formBody } from '../http/params.js';
import { handle, noStore, sendOAuthError } from '../http/respond.js';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import { bearerChallenge } from '../rfc6750-bearer/bearer-token.js';
import { dpopChallenge, presentedAccessToken, resolveResourceToken, resourceError } from '../rfc9449-dpop/dpop-resource.js';
import type { Context } from '../server/context.js';
import { applyRateLimit } from '../security/rate-limit-middleware.js';
import { forcedAnswer } from '../test-control/forced-failures.js';
import { claimNamesForScope, scopeList, userClaims } from './claims.js';
import { requestedClaimNames, type ClaimsRequest } from './claims-parameter.js';
import { sendUserInfo } from './userinfo-response.js';

export function userinfoRouter(ctx: Context): Router {
  const router = Router();
  const endpoint = handle((req, res) => userinfo(ctx, req, res), (res, error) => sendOAuthError(res, error, ctx.logger));
  router.get(PATHS.userinfo, endpoint);
  router.post(PATHS.userinfo, formBody, endpoint);
  return router;
}

/** No audience means the issuer's own; otherwise the issuer or the UserInfo URL must be among them. */
function audienceIncludesOp(ctx: Context, audience: string[] | null): boolean {
  if (!audience || audience.length === 0) return true;
  return audience.includes(ctx.config.issuer) || audience.includes(ctx.config.issuer + PATHS.userinfo);
}

async function userinfo(ctx: Context, req: Request, res: Response): Promise<void> {
  const presented = presentedAccessToken(req);
  if (presented === undefined) {
    // RFC 6750 §3.1: a request without credentials gets a challenge with no error code; RFC 9449
    // §7.1: one per scheme accepted here, so a DPoP client learns the algs its proof may use.
    noStore(res);
    res.set('WWW-Authenticate', [bearerChallenge(), dpopChallenge()]).status(401).end();
    return;
  }
  const headers: Record<string, string> = {};
  const { record, grant } = await resolveResourceToken(ctx, req, presented, PATHS.userinfo, headers);
  // Later errors are challenged in the scheme the client used.
  const fail = (code: OAuthErrorCode, description: string, requirement: string, extra?: Record<string, string>) => resourceError(presented.scheme, code, description, requirement, extra);
  // RFC 8707 §2 / RFC 9068 §4: a token narrowed to other resources is not for UserInfo, which the OP serves.
  if (!audienceIncludesOp(ctx, record.audience)) {
    throw fail('invalid_token', 'The access token is meant for another resource, not for UserInfo', 'RFC8707-2-UI');
  }
  // A client-credentials token has no user; without openid the token was not issued for UserInfo.
  if (!grant.userId || !scopeList(record.scope).includes('openid')) {
    throw fail('insufficient_scope', 'The access token does not grant the openid scope for a user', 'RFC6750-3.1-2', { scope: 'openid' });
  }
  // The security guide limits userinfo per user (300/min by default), whichever token is presented.
  if (!(await applyRateLimit(res, ctx.limits, 'userinfo', grant.userId, ctx.logger))) return;
  // A failure the test control API forced for this client (nothing unless TEST_CONTROL_ENABLED).
  await forcedAnswer(ctx, grant.clientId, 'userinfo');
  const [user, client] = await Promise.all([ctx.stores.users.findById(grant.userId), ctx.stores.clients.find(grant.clientId)]);
  if (!user) throw fail('invalid_token', 'The user of this access token no longer exists', 'RFC6750-3.1-1');
  if (!client) throw fail('invalid_token', 'The client of this access token no longer exists', 'RFC6750-3.1-1');
  // The token's own scope decides (a refreshed token may carry less than the grant).
  const names = claimNamesForScope(record.scope);
  for (const name of requestedClaimNames(grant.claims as ClaimsRequest | null, 'userinfo')) names.add(name);
  res.set(headers);
  await sendUserInfo(ctx, res, client, userClaims(user, names));
}
