/**
 * GET, PUT and DELETE /register/:client_id, the client configuration endpoint, authorized by the
 * registration access token issued at registration (compared by SHA-256 in constant time).
 * An unknown client, a client registered without a token and a wrong token get one and the same
 * 401 invalid_token, so the endpoint never reveals which client_ids exist.
 * @spec https://www.rfc-editor.org/rfc/rfc7592#section-2 (Bearer registration access token; RFC 6750 errors)
 * @spec https://www.rfc-editor.org/rfc/rfc7592#section-2.1 (read; unknown client is 401)
 * @spec https://www.rfc-editor.org/rfc/rfc7592#section-2.2 (update replaces metadata; client_id must match; client_secret must match)
 * @spec https://www.rfc-editor.org/rfc/rfc7592#section-2.3 (delete: 204, grants and tokens invalidated)
 * @spec https://www.rfc-editor.org/rfc/rfc7592#section-3 (client information response)
 */
import { Router, type Request, type Response } from 'express';
import { deleteClient, registrationTokenMatches, replaceClientMetadata, secretMatches } from '../clients/client-service.js';
import { OAuthError } from '../errors/oauth-error.js';
import { handle, noStore, sendJson, sendOAuthError } from '../http/respond.js';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import { bearerChallenge, bearerError, bearerToken } from '../rfc6750-bearer/bearer-token.js';
import { refuseSoftwareStatement, requestAudit } from '../rfc7591-registration/registration-endpoint.js';
import { clientInformation } from '../rfc7591-registration/registration-response.js';
import { jsonBody, jsonObject, updateSchema, validateMetadataDocument } from '../rfc7591-registration/registration.schema.js';
import type { Context } from '../server/context.js';
import type { ClientRecord, Tx } from '../storage/stores.js';
import { hashHandle, newHandle, safeEqual } from '../tokens/handles.js';

const CLIENT_PATH = `${PATHS.registration}/:client_id`;

/** Compared against when no client (or no token) exists, so every refusal costs the same work. */
const DECOY_HASH = hashHandle(newHandle());

interface Authorized {
  client: ClientRecord;
  /** The presented token: still valid, so it is what the response names. */
  token: string;
}

/** The client named by the path, if the presented registration access token is its own. */
async function authorize(ctx: Context, req: Request, tx?: Tx): Promise<Authorized> {
  const token = bearerToken(req);
  // RFC 6750 §3.1: no credentials at all gets a challenge without an error code.
  if (token === undefined) throw new OAuthError('invalid_token', 'A registration access token is required', { requirement: 'RFC7592-2-1', headers: { 'WWW-Authenticate': bearerChallenge() } });
  const client = await ctx.stores.clients.find(String(req.params.client_id), tx);
  const matches = client ? registrationTokenMatches(client, token) : safeEqual(hashHandle(token), DECOY_HASH);
  // RFC 7592 §2.1-2.3: an unknown client is 401, like a bad token; never 404 (or 403) to a stranger.
  if (!client || !matches) throw bearerError('invalid_token', 'The registration access token is invalid for this client', 'RFC7592-2-2');
  return { client, token };
}

async function read(ctx: Context, req: Request, res: Response): Promise<void> {
  const { client, token } = await authorize(ctx, req);
  sendJson(res, 200, clientInformation(ctx.config, client, { registrationAccessToken: token }));
}

/**
 * RFC 7592 §2.2: a full replacement; fields the body omits are removed or take their defaults, except
 * the operator-only members, which replaceClientMetadata keeps (src/clients/operator-metadata.ts).
 */
async function update(ctx: Context, req: Request, res: Response): Promise<void> {
  await authorize(ctx, req);
  const input = validateMetadataDocument(updateSchema, jsonObject(req));
  refuseSoftwareStatement(input);
  const { client_id: clientId, client_secret: presentedSecret, ...metadata } = input as { client_id: string; client_secret?: string };
  const updated = await ctx.stores.transaction(async (tx) => {
    // Authorized again inside the transaction so a concurrent deletion cannot be overwritten.
    const { client, token } = await authorize(ctx, req, tx);
    // §2.2: client_id MUST be present and be the client's current identifier.
    if (clientId !== client.clientId) throw new OAuthError('invalid_client_metadata', 'client_id must be the client_id being updated', { requirement: 'RFC7592-2.2-2' });
    // §2.2: a client_secret, if sent, MUST match the current one; a client never chooses its own.
    if (presentedSecret !== undefined && !secretMatches(client, presentedSecret)) throw new OAuthError('invalid_client_metadata', 'client_secret does not match the current client secret', { requirement: 'RFC7592-2.2-3' });
    const replaced = await replaceClientMetadata(ctx, client, metadata, presentedSecret, tx, requestAudit(ctx, 'client.updated', req));
    return { ...replaced, token };
  });
  sendJson(res, 200, clientInformation(ctx.config, updated.record, { clientSecret: updated.clientSecret, registrationAccessToken: updated.token }));
}

/** RFC 7592 §2.3: deprovisioning revokes every grant (so every code and token) of the client. */
async function remove(ctx: Context, req: Request, res: Response): Promise<void> {
  await ctx.stores.transaction(async (tx) => {
    const { client } = await authorize(ctx, req, tx);
    await deleteClient(ctx, client.clientId, 'client_deleted', tx, requestAudit(ctx, 'client.deleted', req));
  });
  noStore(res);
  res.status(204).end();
}

export function managementRouter(ctx: Context): Router {
  const router = Router();
  const onError = (res: Response, error: unknown) => sendOAuthError(res, error, ctx.logger);
  router.get(CLIENT_PATH, handle((req, res) => read(ctx, req, res), onError));
  router.put(CLIENT_PATH, jsonBody, handle((req, res) => update(ctx, req, res), onError));
  router.delete(CLIENT_PATH, handle((req, res) => remove(ctx, req, res), onError));
  router.all(CLIENT_PATH, (_req, res) => {
    res.set('Allow', 'GET, PUT, DELETE');
    sendOAuthError(res, new OAuthError('invalid_request', 'The client configuration endpoint accepts GET, PUT and DELETE', { requirement: 'RFC7592-2-1', status: 405 }));
  });
  return router;
}
