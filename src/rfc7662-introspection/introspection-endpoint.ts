/**
 * POST /introspect: the one place where the phases of an introspection request are ordered:
 *   parse form -> validate parameters (invalid_request) -> authenticate the client (invalid_client;
 *   a public client is refused) -> DPoP proof, when sent (invalid_dpop_proof) -> rate limit per client (429) -> find the token with its grant in
 *   one read -> answer for this client. Nothing is written on this path.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1 (POST, form-encoded, the caller MUST be authorized)
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2 (JSON answer)
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.3 (errors as in RFC 6749 §5.2)
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-4 (token scanning: authenticate, limit)
 * @spec https://www.rfc-editor.org/rfc/rfc8414#section-2 (introspection_endpoint metadata)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.3 (a DPoP proof, when sent, is checked)
 */
import type { Request, Response, Router } from 'express';
import { AUTH_METHODS } from '../clients/client-metadata.js';
import { OAuthError } from '../errors/oauth-error.js';
import { formBody, formParams } from '../http/params.js';
import { postOnlyRouter } from '../http/post-endpoint.js';
import { sendJson } from '../http/respond.js';
import { CLIENT_AUTH_SIGNING_ALGS, contributeMetadata, PATHS } from '../oidc-discovery/provider-metadata.js';
import { authenticateRequestClient } from '../rfc6749-oauth2/client-authentication.js';
import { checkOptionalProof } from '../rfc9449-dpop/dpop-binding.js';
import { validateParams, type Params } from '../schema/validator.js';
import { applyRateLimit } from '../security/rate-limit-middleware.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { introspectionSchema, type IntrospectionParams } from './introspection.schema.js';
import { introspectorOf } from './introspection-policy.js';
import { introspectionResponse, type IntrospectionResponse } from './introspection-response.js';
import { findPresentedToken, type PresentedToken } from './presented-token.js';

/** Public clients prove nothing with a client_id, so they cannot introspect (RFC 7662 §2.1). */
export const INTROSPECTION_AUTH_METHODS = AUTH_METHODS.filter((method) => method !== 'none');

contributeMetadata((config) => ({
  introspection_endpoint: config.issuer + PATHS.introspection,
  introspection_endpoint_auth_methods_supported: [...INTROSPECTION_AUTH_METHODS],
  introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_AUTH_SIGNING_ALGS],
}));

/** What the phases learn about one request, filled in order. */
interface Introspection {
  readonly req: Request;
  readonly res: Response;
  params: Params;
  input: IntrospectionParams;
  client: ClientRecord;
  presented: PresentedToken | undefined;
  body: IntrospectionResponse;
}

/** A phase returns false when it has already answered (a 429). */
type Phase = (ctx: Context, exchange: Introspection) => Promise<boolean | void> | boolean | void;

function parseForm(_ctx: Context, exchange: Introspection): void {
  exchange.params = formParams(exchange.req);
}

function validateParameters(_ctx: Context, exchange: Introspection): void {
  exchange.input = validateParams<IntrospectionParams>(introspectionSchema, exchange.params);
}

async function authenticate(ctx: Context, exchange: Introspection): Promise<void> {
  const { client, method } = await authenticateRequestClient(ctx, exchange.req, exchange.params);
  if (method === 'none') throw new OAuthError('invalid_client', 'the introspection endpoint requires client authentication', { requirement: 'RFC7662-2.1-2', status: 401 });
  exchange.client = client;
}

/** Extension hook, RFC 9449: a proof sent here is checked like at the token endpoint. */
function checkDpopProof(ctx: Context, exchange: Introspection): Promise<void> {
  return checkOptionalProof(ctx, exchange.req, exchange.res, PATHS.introspection);
}

/** Limited per authenticated client, so one noisy resource server cannot starve the others. */
function limitPerClient(ctx: Context, exchange: Introspection): Promise<boolean> {
  return applyRateLimit(exchange.res, ctx.limits, 'introspection', exchange.client.clientId, ctx.logger);
}

async function findToken(ctx: Context, exchange: Introspection): Promise<void> {
  exchange.presented = await findPresentedToken(ctx, exchange.input.token, exchange.input.token_type_hint);
}

function answer(ctx: Context, exchange: Introspection): void {
  exchange.body = introspectionResponse(ctx, exchange.presented, introspectorOf(exchange.client));
}

export const INTROSPECTION_PHASES: readonly Phase[] = [parseForm, validateParameters, authenticate, checkDpopProof, limitPerClient, findToken, answer];

export function introspectionRouter(ctx: Context): Router {
  return postOnlyRouter({ path: PATHS.introspection, parseBody: formBody, logger: ctx.logger, otherMethods: 'the introspection endpoint accepts only POST' }, async (req: Request, res: Response) => {
      const exchange = { req, res } as Introspection;
      for (const phase of INTROSPECTION_PHASES) if ((await phase(ctx, exchange)) === false) return;
      // sendJson adds Cache-Control: no-store: the answer describes a credential.
      sendJson(res, 200, exchange.body);
  });
}
