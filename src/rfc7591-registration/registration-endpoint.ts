/**
 * POST /register: the one place where the phases of a registration are ordered:
 *   registration open (access_denied) -> initial access token in token mode (invalid_token)
 *   -> JSON body against the schema (invalid_client_metadata / invalid_redirect_uri)
 *   -> software statement (refused) -> metadata semantics and the new client, its registration
 *   access token and its audit event in one transaction -> 201 client information response.
 * The per-IP rate limit (policy `registration`) runs before this router (server/app.ts).
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3 (open registration or an initial access token)
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.1 (POST with a JSON body)
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.1.1 (software statements)
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1 (201 Created, no-store)
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2 (error response)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3 (initial access token errors)
 */
import type { Request, Response, Router } from 'express';
import { decodeJwt } from 'jose';
import { createClient, type CreatedClient } from '../clients/client-service.js';
import { OAuthError } from '../errors/oauth-error.js';
import { postOnlyRouter } from '../http/post-endpoint.js';
import { sendJson } from '../http/respond.js';
import { contributeMetadata, PATHS } from '../oidc-discovery/provider-metadata.js';
import { bearerChallenge, bearerError, bearerToken } from '../rfc6750-bearer/bearer-token.js';
import { requestOrigin } from '../security/audit.js';
import type { Context } from '../server/context.js';
import { safeEqual } from '../tokens/handles.js';
import { registrationClosedReason } from './registration-gate.js';
import { clientInformation } from './registration-response.js';
import { jsonBody, jsonObject, registrationSchema, validateMetadataDocument } from './registration.schema.js';

contributeMetadata((config) => (config.registrationMode === 'off' ? {} : { registration_endpoint: config.issuer + PATHS.registration }));

/** What the phases learn about one request, filled in order. */
interface Registration {
  readonly req: Request;
  input: Record<string, unknown>;
  created: CreatedClient;
}

type Phase = (ctx: Context, registration: Registration) => Promise<void> | void;

/** Who asked, for the audit event recorded with the change. */
export const requestAudit = (ctx: Context, type: string, req: Request) => ({ type, ...requestOrigin(ctx, req) });

async function checkOpen(ctx: Context): Promise<void> {
  const reason = await registrationClosedReason(ctx);
  if (reason) throw new OAuthError('access_denied', reason, { requirement: 'RFC7591-3-2' });
}

function checkInitialAccessToken(ctx: Context, registration: Registration): void {
  if (ctx.config.registrationMode !== 'token') return;
  const token = bearerToken(registration.req);
  // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
  if (token === undefined) throw new OAuthError('invalid_token', 'An initial access token is required to register', { requirement: 'RFC7591-3-1', headers: { 'WWW-Authenticate': bearerChallenge() } });
  if (!safeEqual(token, ctx.config.registrationInitialAccessToken ?? '')) throw bearerError('invalid_token', 'The initial access token is invalid', 'RFC7591-3-1');
}

function parseBody(_ctx: Context, registration: Registration): void {
  registration.input = validateMetadataDocument(registrationSchema, jsonObject(registration.req));
}

/**
 * RFC 7591 §3.1.1 lets a server without statement support ignore one, but a statement's values take
 * precedence where supported: ignoring it would register values its issuer did not vouch for. No
 * statement issuer is trusted here, so a statement is refused, never silently dropped.
 */
export function refuseSoftwareStatement(input: Record<string, unknown>): void {
  const statement = input.software_statement;
  if (statement === undefined) return;
  try {
    decodeJwt(statement as string);
  } catch {
    throw new OAuthError('invalid_software_statement', 'software_statement is not a JWT', { requirement: 'RFC7591-3.1.1-1' });
  }
  throw new OAuthError('unapproved_software_statement', 'This server accepts no software statements', { requirement: 'RFC7591-3.1.1-1' });
}

function checkSoftwareStatement(_ctx: Context, registration: Registration): void {
  refuseSoftwareStatement(registration.input);
}

async function register(ctx: Context, registration: Registration): Promise<void> {
  const audit = requestAudit(ctx, 'client.registered', registration.req);
  registration.created = await ctx.stores.transaction((tx) => createClient(ctx, registration.input, tx, { registrationToken: true, audit }));
}

export const REGISTRATION_PHASES: readonly Phase[] = [checkOpen, checkInitialAccessToken, parseBody, checkSoftwareStatement, register];

export function registrationRouter(ctx: Context): Router {
  return postOnlyRouter({ path: PATHS.registration, parseBody: jsonBody, logger: ctx.logger, otherMethods: 'Clients register with POST' }, async (req: Request, res: Response) => {
      const registration = { req } as Registration;
      for (const phase of REGISTRATION_PHASES) await phase(ctx, registration);
      const { record, clientSecret, registrationAccessToken } = registration.created;
      // §3.2.1: 201 with the registered metadata; sendJson adds Cache-Control: no-store.
      sendJson(res, 201, clientInformation(ctx.config, record, { clientSecret, registrationAccessToken: registrationAccessToken! }));
  });
}
