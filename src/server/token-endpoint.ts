/**
 * POST /token: the one place where the phases of a token request are ordered. Each phase is a named
 * function, so a stack trace or a review reads like the spec:
 *   parse form -> find grant (unsupported_grant_type) -> validate its parameters (invalid_request)
 *   -> authenticate the client (invalid_client) -> grant allowed for it (unauthorized_client)
 *   -> extension hooks: DPoP proof (invalid_dpop_proof, use_dpop_nonce), client certificate binding (RFC 8705) -> run the grant, writing its rows and audit event in one transaction -> §5.1 response.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.2 (POST, form-encoded, no-store)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-5 (DPoP proofs at the token endpoint, for every grant)
 */
import type { Request, Response, Router } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { formBody, formParams } from '../http/params.js';
import { postOnlyRouter } from '../http/post-endpoint.js';
import { sendJson } from '../http/respond.js';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import { authenticateRequestClient } from '../rfc6749-oauth2/client-authentication.js';
import { tokenRequestCertificate } from '../rfc8705-mtls/certificate-binding.js';
import { requestOrigin } from '../security/audit.js';
import type { TokenResponseBody } from '../rfc6749-oauth2/token-response.js';
import { tokenRequestProof } from '../rfc9449-dpop/dpop-binding.js';
import { nonceHeaders } from '../rfc9449-dpop/dpop-nonce.js';
import { validateParams, type JsonSchemaObject, type Params } from '../schema/validator.js';
import type { ClientRecord } from '../storage/stores.js';
import type { Context } from './context.js';
import { findGrant, type GrantModule } from './grant-registry.js';
import { forcedIdToken, forcedTokenAnswer } from '../test-control/forced-failures.js';

/** What the phases learn about one request, filled in order. */
interface TokenExchange {
  readonly req: Request;
  params: Params;
  grantType: string;
  grant: GrantModule;
  input: Record<string, unknown>;
  client: ClientRecord;
  /** RFC 9449: thumbprint of the request's DPoP proof key, when it sent a valid proof. */
  dpopJkt?: string;
  /** RFC 8705: thumbprint of the client certificate the tokens are bound to. */
  certThumbprint?: string;
  body: TokenResponseBody;
  /** Headers of the success response (a fresh DPoP-Nonce). */
  headers: Record<string, string>;
}

type Phase = (ctx: Context, exchange: TokenExchange) => Promise<void> | void;

const grantTypeSchema: JsonSchemaObject = {
  type: 'object',
  properties: { grant_type: { type: 'string', maxLength: 128 } },
  required: ['grant_type'],
};

function parseForm(_ctx: Context, exchange: TokenExchange): void {
  exchange.params = formParams(exchange.req);
  exchange.grantType = validateParams<{ grant_type: string }>(grantTypeSchema, exchange.params).grant_type;
}

function findGrantType(_ctx: Context, exchange: TokenExchange): void {
  // Only registered grants exist: password and implicit (RFC 9700 §2.4, §2.1.2) are never registered.
  const grant = findGrant(exchange.grantType);
  if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type ${exchange.grantType} is not supported`, { requirement: 'RFC6749-5.2-4' });
  exchange.grant = grant;
}

function validateGrantParameters(_ctx: Context, exchange: TokenExchange): void {
  exchange.input = validateParams<Record<string, unknown>>(exchange.grant.schema, exchange.params);
}

async function authenticate(ctx: Context, exchange: TokenExchange): Promise<void> {
  const authenticated = await authenticateRequestClient(ctx, exchange.req, exchange.params);
  exchange.client = authenticated.client;
}

function checkGrantAllowed(_ctx: Context, exchange: TokenExchange): void {
  // RFC 6749 §5.2 unauthorized_client: not authorized to use this grant type.
  if (!exchange.client.metadata.grant_types.includes(exchange.grantType)) {
    throw new OAuthError('unauthorized_client', `the client is not registered for the ${exchange.grantType} grant`, { requirement: 'RFC6749-5.2-5' });
  }
}

/** Extension hook, RFC 9449: a DPoP proof, when sent (or required), is checked for every grant alike. */
async function checkDpopProof(ctx: Context, exchange: TokenExchange): Promise<void> {
  exchange.dpopJkt = await tokenRequestProof(ctx, exchange.req, exchange.client);
  if (exchange.dpopJkt !== undefined) exchange.headers = nonceHeaders(ctx);
}

/** Extension hook, RFC 8705 §3: a client registered for certificate-bound tokens gets them bound to its certificate. */
function bindCertificate(ctx: Context, exchange: TokenExchange): void {
  exchange.certThumbprint = tokenRequestCertificate(ctx, exchange.req, exchange.client);
}

async function runGrant(ctx: Context, exchange: TokenExchange): Promise<void> {
  const { req, client, grantType, dpopJkt, certThumbprint } = exchange;
  const origin = requestOrigin(ctx, req);
  const outcome = await exchange.grant.handle(ctx, exchange.input, client, { origin, dpopJkt, certThumbprint });
  // A grant that did not hand the proof's key to issueTokenSet would issue a bearer token to a
  // client that asked for binding; nothing is written then.
  if (dpopJkt !== undefined && outcome.body.token_type !== 'DPoP') {
    throw new OAuthError('server_error', 'the grant did not bind its tokens to the DPoP key', { requirement: 'RFC6749-5.2-6', cause: new Error(`grant ${grantType} ignored dpopJkt`) });
  }
  const issued = { type: 'token.issued', clientId: client.clientId, userId: outcome.userId, ...origin, details: { grant_type: grantType, ...outcome.details } };
  // The rows, their audit event and the use of the code or refresh token go in one atomic write.
  const { consume } = outcome;
  const now = ctx.clock();
  const written = await ctx.stores.insertNewRows({ ...outcome.newRows, auditEvents: [{ event: issued, at: now }] }, consume && { kind: consume.kind, hash: consume.hash, at: now });
  // The conditional update decided between concurrent redemptions: the loser is a replay, or the
  // same client's retry within its refresh reuse grace period, which gets the winner's answer.
  if (!written && consume) {
    const answer = await consume.replayed();
    if (answer instanceof OAuthError) throw answer;
    await ctx.stores.audit.record({ ...issued, details: { grant_type: grantType, retried_within_grace: true } }, now);
    exchange.body = answer;
    return;
  }
  exchange.body = outcome.body;
}

// forcedTokenAnswer and forcedIdToken: failures the test control API forced (nothing unless TEST_CONTROL_ENABLED).
export const TOKEN_PHASES: readonly Phase[] = [parseForm, findGrantType, validateGrantParameters, authenticate, forcedTokenAnswer, checkGrantAllowed, checkDpopProof, bindCertificate, runGrant, forcedIdToken];

/** The phases a node runs: the test control hooks only where TEST_CONTROL_ENABLED, so production requests never pass through them. */
const TEST_CONTROL_PHASES: ReadonlySet<Phase> = new Set([forcedTokenAnswer, forcedIdToken]);

export function tokenRouter(ctx: Context): Router {
  const phases = ctx.config.testControlEnabled ? TOKEN_PHASES : TOKEN_PHASES.filter((phase) => !TEST_CONTROL_PHASES.has(phase));
  return postOnlyRouter({ path: PATHS.token, parseBody: formBody, logger: ctx.logger, otherMethods: 'the token endpoint accepts only POST' }, async (req: Request, res: Response) => {
      const exchange = { req, headers: {} } as unknown as TokenExchange;
      for (const phase of phases) await phase(ctx, exchange);
      res.set(exchange.headers);
      // §5.1: sendJson adds Cache-Control: no-store and Pragma: no-cache.
      sendJson(res, 200, exchange.body);
  });
}
