/**
 * GET and POST /authorize: the one place where the phases of an authorization request are ordered.
 * Each phase is a named function, so a stack trace or a review reads like the spec:
 *   parse -> request object or pushed request (RFC 9101, RFC 9126) -> client and redirect_uri (errors
 *   on a page) -> validate (errors redirected with state and iss from here on) -> session and prompt
 *   -> consent -> issue the code.
 * What comes next is decided by oidc-core/authorization-decision.ts; the login, MFA and consent routes
 * resume these same phases after their page (resumeAuthorization).
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.1 (GET required, POST allowed)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequestValidation
 */
import { Router, type Request, type Response } from 'express';
import { formBody, requestParams } from '../http/params.js';
import { handle, noStore, sendErrorPage } from '../http/respond.js';
import { contributeMetadata, PATHS } from '../oidc-discovery/provider-metadata.js';
import { nextStep, type AuthorizationProgress, type NextStep } from '../oidc-core/authorization-decision.js';
import { parseClaimsParameter } from '../oidc-core/claims-parameter.js';
import { idTokenHintSubject, parseMaxAge, parsePrompt } from '../oidc-core/prompt.js';
import { loadSessionWithConsent } from '../oidc-core/session.js';
import { scopeList } from '../oidc-core/claims.js';
import { JWT_RESPONSE_MODES } from '../jarm/response-modes.js';
import { completeAuthorization } from '../rfc6749-oauth2/authorization-code-issuer.js';
import {
  checkClientMayUseCode, checkRedirectUri, checkResponseMode, checkResponseType, findClient, pageLocale,
  responseTarget, targetOf, type AuthorizationRequest, type ResponseTarget,
} from '../rfc6749-oauth2/authorization-request.js';
import { authorizationRequestSchema, type AuthorizationRequestParams } from '../rfc6749-oauth2/authorization-request.schema.js';
import { mountFormPostScript, sendAuthorizationError, sendAuthorizationResponse } from '../rfc6749-oauth2/authorization-response.js';
import { authorizationRequestScope } from '../rfc6749-oauth2/scope-policy.js';
import { checkCodeChallenge } from '../rfc7636-pkce/code-challenge.js';
import { checkRequestSource, hasRequestReference, resolveAuthorizationParams, type ResolvedRequest } from '../rfc9101-jar/request-resolution.js';
import { grantResources } from '../rfc8707-resource-indicators/resource-policy.js';
import { validateParams, type Params } from '../schema/validator.js';
import type { ClientRecord } from '../storage/stores.js';
import { clearInteractionCookie, createInteraction, interactionUrl, type Interaction } from '../ui/interaction.js';
import type { Context } from './context.js';

// The claims request parameter (OIDC Core §5.5) is read by the authorization request (src/oidc-core/claims-parameter.ts).
contributeMetadata(() => ({ response_modes_supported: ['query', 'form_post', ...JWT_RESPONSE_MODES], claims_parameter_supported: true }));

/** What the phases learn about one request, filled in order. */
interface Authorization extends AuthorizationProgress {
  readonly req: Request;
  readonly res: Response;
  /** The parameters of the HTTP request itself. */
  params: Params;
  /** The parameters to validate and where they came from: the request itself, a pushed request or a request object. */
  resolved: ResolvedRequest;
  client: ClientRecord;
  /** Set once the redirect_uri is proven: from then on errors go back to the client. */
  target?: ResponseTarget;
  /** Present when resumed by the login, MFA or consent page. */
  interaction?: Interaction;
  next: NextStep;
  /** Set by the phase that answered; the phases after it do not run. */
  answered?: boolean;
}

type Phase = (ctx: Context, authorization: Authorization) => Promise<void> | void;

function parse(_ctx: Context, authorization: Authorization): void {
  authorization.params = requestParams(authorization.req);
}

/**
 * RFC 9101 and RFC 9126: with `request` or `request_uri`, the parameters to validate are those of
 * the request object or the pushed request (src/rfc9101-jar/request-resolution.ts).
 */
async function requestObjectOrPushed(ctx: Context, authorization: Authorization): Promise<void> {
  const { params } = authorization;
  authorization.resolved = { params, source: 'plain' };
  if (!hasRequestReference(params)) return;
  const client = await findClient(ctx, params);
  // Kept for the next phase, which reads the client only if the resolved request names another.
  authorization.client = client;
  // A bad object is reported to the client when the request also names one of its redirect URIs;
  // otherwise (the usual pushed request: client_id and request_uri only) on a page.
  try {
    if (params.redirect_uri !== undefined) authorization.target = responseTarget(params, checkRedirectUri(client, params), client);
  } catch {
    authorization.target = undefined;
  }
  const resolved = await resolveAuthorizationParams(ctx, client, params);
  // The redirect_uri that counts is the resolved one, proven again by the next phase.
  authorization.target = undefined;
  // OIDC Core §6.1 lets the server use a request object's redirect_uri over another one sent beside
  // it; one the client never registered is refused on a page instead (a forged or broken request).
  // A pushed request's outside parameters are ignored (RFC 9126 §4): only client_id is read there.
  if (resolved.source === 'request_object' && params.redirect_uri !== undefined) checkRedirectUri(client, params);
  authorization.resolved = resolved;
}

async function clientAndRedirectUri(ctx: Context, authorization: Authorization): Promise<void> {
  // Anything thrown here ends on an HTML page, never in a redirect (RFC 6749 §4.1.2.1).
  const known = authorization.client;
  const { params } = authorization.resolved;
  authorization.client = known !== undefined && known.clientId === params.client_id ? known : await findClient(ctx, params);
  authorization.target = responseTarget(params, checkRedirectUri(authorization.client, params), authorization.client);
}

/**
 * Every check after the redirect_uri, in the order the specs suggest; each throws an OAuthError.
 * `target` is where the answer goes (the proven redirect_uri); `request` the parameters, with the
 * pushed request they came from. The pushed authorization request endpoint runs the same checks
 * when a request is pushed.
 */
export async function validatedRequest(ctx: Context, client: ClientRecord, target: ResponseTarget, request: Pick<ResolvedRequest, 'params' | 'pushedRequestHash'>): Promise<AuthorizationRequest> {
  const params = validateParams<AuthorizationRequestParams>(authorizationRequestSchema, request.params);
  checkResponseType(params);
  const responseMode = checkResponseMode(params);
  checkClientMayUseCode(client);
  const pkce = checkCodeChallenge(client, params);
  const scope = authorizationRequestScope(client, params.scope);
  // RFC 8707 §2.1: each resource must be an absolute URI the client may request, else invalid_target.
  const resource = grantResources(client, params.resource);
  const prompt = parsePrompt(params.prompt);
  const maxAge = parseMaxAge(params.max_age);
  const claims = parseClaimsParameter(params.claims);
  const hintedSubject = await idTokenHintSubject(ctx, params.id_token_hint);
  // display, claims_locales and unknown parameters were stripped by the schema: ignored.
  return {
    clientId: client.clientId,
    redirectUri: target.redirectUri,
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
    // RFC 9449 §10: the token request for this code must then prove this key.
    ...(params.dpop_jkt !== undefined ? { dpopJkt: params.dpop_jkt } : {}),
    // JARM §3: the alg the target chose (responseTarget), kept so the client is not read again when the code is issued.
    ...(target.signingAlg !== undefined ? { responseSigningAlg: target.signingAlg } : {}),
    // RFC 9126 §4: used up when the code is issued.
    ...(request.pushedRequestHash !== undefined ? { pushedRequestHash: request.pushedRequestHash } : {}),
  };
}

async function validate(ctx: Context, authorization: Authorization): Promise<void> {
  // First: a request that had to be pushed (or signed) is refused whatever else it says.
  // Set by clientAndRedirectUri, the phase before this one.
  const { client, resolved, target } = authorization;
  // A pipeline that ran this phase out of order is a bug, not a request to answer somewhere unproven.
  if (target === undefined) throw new Error('authorization pipeline: validate ran before the redirect_uri was checked');
  checkRequestSource(ctx, client, resolved.source);
  authorization.request = await validatedRequest(ctx, client, target, resolved);
}

/** Hands the browser to an interaction page, opening the interaction when the endpoint is first asked. */
async function toInteraction(ctx: Context, authorization: Authorization, step: 'login' | 'consent'): Promise<void> {
  const { res, request, session } = authorization;
  const uid = authorization.interaction?.uid
    ?? (await createInteraction(ctx, res, request, step === 'consent' && session ? session.userId : null));
  noStore(res);
  res.redirect(303, interactionUrl(ctx, uid, step));
  authorization.answered = true;
}

async function sessionAndPrompt(ctx: Context, authorization: Authorization): Promise<void> {
  if (!authorization.interaction) {
    // One read for the session (ignored when its user no longer exists) and the consent for this client.
    const found = await loadSessionWithConsent(ctx, authorization.req, authorization.request.clientId);
    authorization.session = found?.session;
    authorization.consent = found?.consent;
  } else if (authorization.session && !authorization.approved) {
    // An approval on the consent page needs no remembered consent: the code's transaction widens it.
    authorization.consent = await ctx.stores.consents.find(authorization.session.userId, authorization.request.clientId);
  }
  authorization.next = await nextStep(ctx, authorization);
  if (authorization.next.step === 'login') await toInteraction(ctx, authorization, 'login');
}

async function consent(ctx: Context, authorization: Authorization): Promise<void> {
  if (authorization.next.step === 'consent') await toInteraction(ctx, authorization, 'consent');
}

async function issue(ctx: Context, authorization: Authorization): Promise<void> {
  const { next, request, session, interaction, res } = authorization;
  if (next.step !== 'issue' || !session) throw new Error(`no code can be issued at step ${next.step}`);
  // With an interaction, it is consumed in the same transaction, so a replayed approval issues nothing.
  const { code } = await completeAuthorization(ctx, { request, session, scope: next.scope, consent: authorization.consent, client: authorization.client }, interaction?.uidHash);
  if (interaction) clearInteractionCookie(ctx, res, interaction.uid);
  await sendAuthorizationResponse(res, ctx, targetOf(request), code, request.uiLocale ?? undefined);
  authorization.answered = true;
}

export const AUTHORIZE_PHASES: readonly Phase[] = [parse, requestObjectOrPushed, clientAndRedirectUri, validate, sessionAndPrompt, consent, issue];

/** The phases an interaction page resumes: its request was validated when the interaction opened. */
const RESUMED_PHASES = AUTHORIZE_PHASES.slice(AUTHORIZE_PHASES.indexOf(sessionAndPrompt));

async function run(ctx: Context, authorization: Authorization, phases: readonly Phase[]): Promise<void> {
  for (const phase of phases) {
    await phase(ctx, authorization);
    if (authorization.answered) return;
  }
}

/**
 * Continues an interaction's request after the login, MFA or consent page, through the same phases
 * and the same decision as /authorize. Errors propagate to the page's handler (an HTML page).
 */
export async function resumeAuthorization(
  ctx: Context,
  req: Request,
  res: Response,
  interaction: Interaction,
  progress: Pick<AuthorizationProgress, 'session' | 'loggedIn' | 'approved'>,
): Promise<void> {
  const authorization = { req, res, interaction, request: interaction.request, ...progress } as Authorization;
  await run(ctx, authorization, RESUMED_PHASES);
}

export function authorizationRouter(ctx: Context): Router {
  const router = Router();
  mountFormPostScript(router);
  const endpoint = handle(async (req, res) => {
    const authorization = { req, res } as Authorization;
    try {
      await run(ctx, authorization, AUTHORIZE_PHASES);
    } catch (error) {
      // Before the redirect_uri is proven: an HTML page (the handler's own error path).
      if (!authorization.target) throw error;
      await sendAuthorizationError(res, ctx, authorization.target, error, ctx.logger);
    }
  }, (res, error) => sendErrorPage(res, error, ctx.logger));
  router.get(PATHS.authorization, endpoint);
  router.post(PATHS.authorization, formBody, endpoint);
  return router;
}
