/**
 * POST /device_authorization: a device without a browser (or without a keyboard) asks for a
 * device_code to poll with and a user_code for its user to enter at the verification URI.
 *   parse form -> validate parameters (invalid_request) -> authenticate the client as at /token
 *   (invalid_client) -> registered for the device_code grant (unauthorized_client) -> scope policy
 *   (invalid_scope) -> store the request, audit included -> §3.2 response.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.1 (POST, form-encoded, client authentication as at the token endpoint)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.2 (device_code, user_code, verification_uri(_complete), expires_in, interval)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-4 (device_authorization_endpoint metadata)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (errors)
 */
import type { Request, Response, Router } from 'express';
import { DEVICE_CODE_GRANT_TYPE } from '../clients/client-metadata.js';
import { OAuthError } from '../errors/oauth-error.js';
import { formBody, formParams } from '../http/params.js';
import { postOnlyRouter } from '../http/post-endpoint.js';
import { sendJson } from '../http/respond.js';
import { contributeMetadata, PATHS } from '../oidc-discovery/provider-metadata.js';
import { authenticateRequestClient } from '../rfc6749-oauth2/client-authentication.js';
import { authorizationRequestScope } from '../rfc6749-oauth2/scope-policy.js';
import { validateParams, type Params } from '../schema/validator.js';
import { requestOrigin } from '../security/audit.js';
import type { Context } from '../server/context.js';
import type { ClientRecord, DeviceAuthorizationRecord } from '../storage/stores.js';
import { hashHandle, newHandle } from '../tokens/handles.js';
import { deviceAuthorizationSchema, type DeviceAuthorizationParams } from './device-authorization.schema.js';
import { hashUserCode, newUserCode, normaliseUserCode } from './user-code.js';

contributeMetadata((config) => ({ device_authorization_endpoint: config.issuer + PATHS.deviceAuthorization }));

/** RFC 8628 §3.2 response body. */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

interface DeviceRequest {
  readonly req: Request;
  params: Params;
  input: DeviceAuthorizationParams;
  client: ClientRecord;
  scope: string;
  body: DeviceAuthorizationResponse;
}

type Phase = (ctx: Context, request: DeviceRequest) => Promise<void> | void;

/** Draws before giving up: a collision among 2.56e10 codes is rare, several in a row mean something is wrong. */
const USER_CODE_ATTEMPTS = 5;

function parseForm(_ctx: Context, request: DeviceRequest): void {
  request.params = formParams(request.req);
}

function validateParameters(_ctx: Context, request: DeviceRequest): void {
  request.input = validateParams<DeviceAuthorizationParams>(deviceAuthorizationSchema, request.params);
}

async function authenticate(ctx: Context, request: DeviceRequest): Promise<void> {
  // §3.1: client authentication exactly as at the token endpoint; a public client sends client_id.
  request.client = (await authenticateRequestClient(ctx, request.req, request.params)).client;
}

function checkGrantAllowed(_ctx: Context, request: DeviceRequest): void {
  if (!request.client.metadata.grant_types.includes(DEVICE_CODE_GRANT_TYPE)) {
    throw new OAuthError('unauthorized_client', `the client is not registered for the ${DEVICE_CODE_GRANT_TYPE} grant`, { requirement: 'RFC8628-3.1-3' });
  }
}

function decideScope(_ctx: Context, request: DeviceRequest): void {
  // The user approves it on a consent page, exactly like an /authorize request: the same scope rule.
  request.scope = authorizationRequestScope(request.client, request.input.scope);
}

async function store(ctx: Context, request: DeviceRequest): Promise<void> {
  const { client, scope, req } = request;
  const deviceCode = newHandle();
  const now = ctx.clock();
  const userCode = await ctx.stores.transaction(async (tx) => {
    for (let attempt = 0; attempt < USER_CODE_ATTEMPTS; attempt += 1) {
      const candidate = newUserCode();
      const record: DeviceAuthorizationRecord = {
        deviceCodeHash: hashHandle(deviceCode), userCodeHash: hashUserCode(normaliseUserCode(candidate)!), clientId: client.clientId, scope,
        status: 'pending', pollInterval: ctx.config.devicePollInterval, lastPolledAt: null, grantId: null, userId: null,
        createdAt: now, expiresAt: now + ctx.config.deviceCodeTtl, decidedAt: null, consumedAt: null,
      };
      // A user_code must name one live request: on a collision, draw again.
      if (!(await ctx.stores.deviceAuthorizations.insert(record, tx))) continue;
      await ctx.stores.audit.record({ type: 'device.authorization_requested', clientId: client.clientId, ...requestOrigin(ctx, req), details: { scope, expires_at: record.expiresAt } }, now, tx);
      return candidate;
    }
    throw new Error('no free user_code after several draws');
  });
  const verificationUri = ctx.config.issuer + PATHS.deviceVerification;
  request.body = {
    device_code: deviceCode,
    user_code: userCode,
    verification_uri: verificationUri,
    // §3.3.1: the code in the URI saves typing; the page still asks the user to confirm it.
    verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(userCode)}`,
    expires_in: ctx.config.deviceCodeTtl,
    interval: ctx.config.devicePollInterval,
  };
}

export const DEVICE_AUTHORIZATION_PHASES: readonly Phase[] = [parseForm, validateParameters, authenticate, checkGrantAllowed, decideScope, store];

export function deviceAuthorizationRouter(ctx: Context): Router {
  return postOnlyRouter({ path: PATHS.deviceAuthorization, parseBody: formBody, logger: ctx.logger, otherMethods: 'the device authorization endpoint accepts only POST' }, async (req: Request, res: Response) => {
    const request = { req } as DeviceRequest;
    for (const phase of DEVICE_AUTHORIZATION_PHASES) await phase(ctx, request);
    // §3.2: a 200 JSON body; sendJson adds Cache-Control: no-store, like every response carrying a secret.
    sendJson(res, 200, request.body);
  });
}
