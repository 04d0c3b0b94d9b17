/**
 * GET and POST /authorize: the one place where the phases of an authorization request are ordered.
 * Client and redirect_uri first (errors on a page), then every other check (errors redirected with
 * state and iss), then: answer at once from the session and remembered consent, fail a prompt=none
 * request, or hand over to the login or consent page through an interaction.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.1 (GET required, POST allowed)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequestValidation
 */
import { Router, type Request, type Response } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { formBody, requestParams } from '../http/params.js';
import { handle, noStore, sendErrorPage } from '../http/respond.js';
import { contributeMetadata, PATHS } from '../oidc-discovery/provider-metadata.js';
import { parseClaimsParameter } from '../oidc-core/claims-parameter.js';
import {
  consentCovers, idTokenHintSubject, loginRequired, parseMaxAge, parsePrompt, withoutUnconsentedOfflineAccess,
} from '../oidc-core/prompt.js';
import { loadSessionWithConsent, needsStepUp } from '../oidc-core/session.js';
import { scopeList } from '../oidc-core/claims.js';
import { completeAuthorization } from '../rfc6749-oauth2/authorization-code-issuer.js';
import {
  checkClientMayUseCode, checkRedirectUri, checkResponseMode, checkResponseType, findClient, pageLocale,
  rejectRequestObjects, resolveScope, responseTarget, targetOf, type AuthorizationRequest,
} from '../rfc6749-oauth2/authorization-request.js';
import { authorizationRequestSchema, type AuthorizationRequestParams } from '../rfc6749-oauth2/authorization-request.schema.js';
import { mountFormPostScript, sendAuthorizationError, sendAuthorizationResponse } from '../rfc6749-oauth2/authorization-response.js';
import { checkCodeChallenge } from '../rfc7636-pkce/code-challenge.js';
import { grantResources } from '../rfc8707-resource-indicators/resource-policy.js';
import { validateParams, type Params } from '../schema/validator.js';
import type { ClientRecord } from '../storage/stores.js';
import { createInteraction, interactionUrl } from '../ui/interaction.js';
import type { Context } from './context.js';

// The claims request parameter (OIDC Core §5.5) is read by the authorization request (src/oidc-core/claims-parameter.ts).
contributeMetadata(() => ({ response_modes_supported: ['query', 'form_post'], claims_parameter_supported: true }));

export function authorizationRouter(ctx: Context): Router {
  const router = Router();
  mountFormPostScript(router);
  // Anything thrown before the redirect_uri is proven ends on an HTML page, never in a redirect.
  const endpoint = handle((req, res) => authorize(ctx, req, res), (res, error) => sendErrorPage(res, error, ctx.logger));
  router.get(PATHS.authorization, endpoint);
  router.post(PATHS.authorization, formBody, endpoint);
  return router;
}

async function authorize(ctx: Context, req: Request, res: Response): Promise<void> {
  const raw = requestParams(req);
  const client = await findClient(ctx, raw);
  const redirectUri = checkRedirectUri(client, raw);
  const target = responseTarget(raw, redirectUri);
  try {
    const request = await validateRequest(ctx, client, redirectUri, raw);
    await proceed(ctx, req, res, request);
  } catch (error) {
    sendAuthorizationError(res, ctx, target, error, ctx.logger);
  }
}

/** Every check after the redirect_uri, in the order the specs suggest; each throws an OAuthError. */
async function validateRequest(ctx: Context, client: ClientRecord, redirectUri: string, raw: Params): Promise<AuthorizationRequest> {
  const params = validateParams<AuthorizationRequestParams>(authorizationRequestSchema, raw);
  checkResponseType(params);
  const responseMode = checkResponseMode(params);
  checkClientMayUseCode(client);
  // Before PKCE and scope: a request object may carry those, so "not supported" is the honest answer.
  rejectRequestObjects(params);
  const pkce = checkCodeChallenge(client, params);
  const scope = resolveScope(client, params.scope);
  // RFC 8707 §2.1: each resource must be an absolute URI the client may request, else invalid_target.
  const resource = grantResources(client, params.resource);
  const prompt = parsePrompt(params.prompt);
  const maxAge = parseMaxAge(params.max_age);
  const claims = parseClaimsParameter(params.claims);
  const hintedSubject = await idTokenHintSubject(ctx, params.id_token_hint);
  // display, claims_locales and unknown parameters were stripped by the schema: ignored.
  return {
    clientId: client.clientId,
    redirectUri,
    responseMode,
    state: params.state ?? null,
    scope,
    nonce: params.nonce ?? null,
    ...pkce,
    prompt,
    maxAge,
    loginHint: params.login_hint ?? null,
    hintedSubject,
    uiLocale: pageLocale(params.ui_locales),
    claims,
    resource,
    acrValues: scopeList(params.acr_values ?? ''),
  };
}

/** Answer now, fail a silent request, or start an interaction at the login or consent step. */
async function proceed(ctx: Context, req: Request, res: Response, request: AuthorizationRequest): Promise<void> {
  // One read for the session (ignored when its user no longer exists) and the consent for this client.
  const found = await loadSessionWithConsent(ctx, req, request.clientId);
  const session = found?.session;
  // A session with a password alone does not satisfy a request for MFA from a user who has it.
  const mustLogin = loginRequired(request, session, ctx.clock()) || (session !== undefined && (await needsStepUp(ctx, request, session)));
  const consent = session && !mustLogin ? found?.consent : undefined;

  if (request.prompt.includes('none')) {
    // OIDC Core §3.1.2.1: prompt=none MUST NOT show any page; it fails instead.
    if (!session || mustLogin) throw new OAuthError('login_required', 'the user is not signed in');
    const scope = withoutUnconsentedOfflineAccess(request.scope, consent);
    if (!consentCovers(consent, scope)) throw new OAuthError('consent_required', 'the user has not approved this request');
    const { code } = await completeAuthorization(ctx, { request, session, scope, consent });
    return sendAuthorizationResponse(res, ctx, targetOf(request), code, request.uiLocale ?? undefined);
  }

  if (session && !mustLogin && !request.prompt.includes('consent') && consentCovers(consent, request.scope)) {
    const { code } = await completeAuthorization(ctx, { request, session, scope: request.scope, consent });
    return sendAuthorizationResponse(res, ctx, targetOf(request), code, request.uiLocale ?? undefined);
  }

  const uid = await createInteraction(ctx, res, request, session && !mustLogin ? session.userId : null);
  noStore(res);
  res.redirect(303, interactionUrl(ctx, uid, session && !mustLogin ? 'consent' : 'login'));
}
