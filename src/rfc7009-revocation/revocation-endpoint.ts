/**
 * POST /revoke: the one place where the phases of a revocation request are ordered:
 *   parse form -> validate parameters (invalid_request) -> authenticate the client (invalid_client)
 *   -> DPoP proof, when sent (invalid_dpop_proof) -> find the token -> it must be this client's (invalid_request) -> revoke, audit included, in
 *   one transaction -> 200. An unknown token is answered 200 too: the client's goal is reached.
 *
 * What is revoked: an access token alone (opaque or JWT, by its recorded jti); for a refresh token,
 * its whole grant, so every refresh and access token of that authorization dies with it.
 * Decisions: `token_type_hint` only orders the lookups and unknown values are ignored, so
 * unsupported_token_type is never sent (both RFC 7009 token types can be revoked here). Public
 * clients may revoke their own tokens, identified by client_id as at the token endpoint.
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.1 (POST, client authentication, the token must be the client's; refresh token revocation SHOULD revoke the grant's access tokens)
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.2 (200 for revoked and for invalid tokens)
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1 (errors as in RFC 6749 §5.2; unsupported_token_type)
 * @spec https://www.rfc-editor.org/rfc/rfc8414#section-2 (revocation_endpoint metadata)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.3 (a DPoP proof, when sent, is checked)
 */
import type { Request, Response, Router } from 'express';
import { AUTH_METHODS } from '../clients/client-metadata.js';
import { OAuthError } from '../errors/oauth-error.js';
import { formBody, formParams } from '../http/params.js';
import { postOnlyRouter } from '../http/post-endpoint.js';
import { noStore } from '../http/respond.js';
import { CLIENT_AUTH_SIGNING_ALGS, contributeMetadata, PATHS } from '../oidc-discovery/provider-metadata.js';
import { authenticateRequestClient } from '../rfc6749-oauth2/client-authentication.js';
import { findPresentedToken, type PresentedToken } from '../rfc7662-introspection/presented-token.js';
import { checkOptionalProof } from '../rfc9449-dpop/dpop-binding.js';
import { validateParams, type Params } from '../schema/validator.js';
import { requestOrigin } from '../security/audit.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { revocationSchema, type RevocationParams } from './revocation.schema.js';

contributeMetadata((config) => ({
  revocation_endpoint: config.issuer + PATHS.revocation,
  revocation_endpoint_auth_methods_supported: [...AUTH_METHODS],
  revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_AUTH_SIGNING_ALGS],
}));

/** Why a grant was revoked, in its revoked_reason column. */
export const REVOKED_BY_CLIENT = 'refresh_token_revoked';

interface Revocation {
  readonly req: Request;
  readonly res: Response;
  params: Params;
  input: RevocationParams;
  client: ClientRecord;
  presented: PresentedToken | undefined;
}

type Phase = (ctx: Context, exchange: Revocation) => Promise<void> | void;

function parseForm(_ctx: Context, exchange: Revocation): void {
  exchange.params = formParams(exchange.req);
}

function validateParameters(_ctx: Context, exchange: Revocation): void {
  exchange.input = validateParams<RevocationParams>(revocationSchema, exchange.params);
}

async function authenticate(ctx: Context, exchange: Revocation): Promise<void> {
  exchange.client = (await authenticateRequestClient(ctx, exchange.req, exchange.params)).client;
}

/** Extension hook, RFC 9449: a proof sent here is checked like at the token endpoint. */
function checkDpopProof(ctx: Context, exchange: Revocation): Promise<void> {
  return checkOptionalProof(ctx, exchange.req, exchange.res, PATHS.revocation);
}

async function findToken(ctx: Context, exchange: Revocation): Promise<void> {
  exchange.presented = await findPresentedToken(ctx, exchange.input.token, exchange.input.token_type_hint);
}

/** RFC 7009 §2.1: the token must have been issued to the requesting client, else the request is refused. */
async function checkOwner(ctx: Context, exchange: Revocation): Promise<void> {
  const { presented, client, req } = exchange;
  if (!presented || presented.found.token.clientId === client.clientId) return;
  // Nothing is revoked; the attempt is recorded, since holding another client's token is a warning sign.
  await ctx.stores.audit.record(
    { type: 'token.revocation_refused', clientId: client.clientId, ...requestOrigin(ctx, req), details: { token_type: presented.kind, owner: presented.found.token.clientId } },
    ctx.clock(),
  );
  throw new OAuthError('invalid_request', 'the token was not issued to this client', { requirement: 'RFC7009-2.1-3' });
}

async function revoke(ctx: Context, exchange: Revocation): Promise<void> {
  const { presented, client, req } = exchange;
  if (!presented) return;
  const { token, grant } = presented.found;
  await ctx.stores.transaction(async (tx) => {
    const now = ctx.clock();
    // RFC 7009 §2.1: revoking a refresh token SHOULD also invalidate the access tokens of its grant.
    const newlyRevoked = presented.kind === 'refresh_token'
      ? await ctx.stores.grants.revoke(grant.id, REVOKED_BY_CLIENT, now, tx)
      : await ctx.stores.accessTokens.revoke(token.tokenHash, now, tx);
    const format = presented.kind === 'access_token' ? { format: presented.found.token.format } : {};
    await ctx.stores.audit.record(
      { type: 'token.revoked', clientId: client.clientId, userId: grant.userId, ...requestOrigin(ctx, req), details: { token_type: presented.kind, ...format, grant_id: grant.id, newly_revoked: newlyRevoked } },
      now,
      tx,
    );
  });
}

export const REVOCATION_PHASES: readonly Phase[] = [parseForm, validateParameters, authenticate, checkDpopProof, findToken, checkOwner, revoke];

export function revocationRouter(ctx: Context): Router {
  return postOnlyRouter({ path: PATHS.revocation, parseBody: formBody, logger: ctx.logger, otherMethods: 'the revocation endpoint accepts only POST' }, async (req: Request, res: Response) => {
      const exchange = { req, res } as Revocation;
      for (const phase of REVOCATION_PHASES) await phase(ctx, exchange);
      // §2.2: the status code says it all; the body is empty.
      noStore(res);
      res.status(200).end();
  });
}
