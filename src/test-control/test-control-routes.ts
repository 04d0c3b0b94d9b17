/**
 * The test control API under /admin/test, for relying parties' automated tests: move the clock,
 * force failures, rotate keys, reset everything to the seed. Off unless TEST_CONTROL_ENABLED=true
 * (refused in production, admin-settings.ts) and always behind the ADMIN_TOKEN (admin-auth.ts);
 * switched off, every path answers 404 like any unknown one.
 *   GET    /admin/test/status            clock, pending failures, seed file
 *   GET|POST|DELETE /admin/test/clock    read / advance {advance: "PT1H" | seconds} / back to real time
 *   GET|POST|DELETE /admin/test/failures list / add {client_id, failure, count, endpoint, delay_ms} / clear
 *   POST   /admin/test/keys/rotate       rotate the signing keys now
 *   POST   /admin/test/reset             every table emptied, the seed applied again
 */
import express, { Router, type Request, type Response } from 'express';
import { parseDuration } from '../config/duration.js';
import { OAuthError } from '../errors/oauth-error.js';
import { handle, sendJson, sendOAuthError } from '../http/respond.js';
import { requireAdmin } from '../security/admin-auth.js';
import { announce } from '../server/cluster-notices.js';
import type { Context } from '../server/context.js';
import { validateParams, type JsonSchemaObject, type Params } from '../schema/validator.js';
import type { FailureEndpoint, FailureKind, ForcedFailure } from '../storage/test-control-records.js';
import { ENDPOINT_FAILURES } from './forced-failures.js';
import { advanceClock, clockState, MAX_ADVANCE_SECONDS, resetClock } from './test-clock.js';
import { advanceSchema, failureSchema } from './test-control.schema.js';
import { resetState } from './state-reset.js';

const TEST_CONTROL_PATH = '/admin/test';

function body<T>(schema: JsonSchemaObject, req: Request): T {
  const document: unknown = req.body;
  if (!req.is('application/json') || typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new OAuthError('invalid_request', 'The request body must be a JSON object (Content-Type: application/json)', { requirement: 'CASTELLAN-TC-INPUT-1' });
  }
  return validateParams<T>(schema, document as Params);
}

/** Seconds from `advance`: a positive integer, or an ISO 8601 duration such as PT1H or P1DT30M. */
function advanceSeconds(advance: string | number): number {
  const seconds = typeof advance === 'number' ? advance : parseDuration(advance);
  if (seconds === undefined || seconds > MAX_ADVANCE_SECONDS) {
    throw new OAuthError('invalid_request', `advance must be a positive number of seconds or an ISO 8601 duration such as PT1H, at most ${MAX_ADVANCE_SECONDS} seconds`, { requirement: 'CASTELLAN-TC-INPUT-1' });
  }
  return seconds;
}

const failureView = (failure: ForcedFailure) => ({
  id: failure.id, client_id: failure.clientId, endpoint: failure.endpoint, failure: failure.failure,
  remaining: failure.remaining, ...(failure.delayMs !== null ? { delay_ms: failure.delayMs } : {}), created_at: failure.createdAt,
});

interface FailureRequest {
  client_id: string;
  count: number;
  failure: FailureKind;
  endpoint: FailureEndpoint;
  delay_ms?: number;
}

async function addFailure(ctx: Context, input: FailureRequest): Promise<ForcedFailure> {
  if ((input.failure === 'delay') !== (input.delay_ms !== undefined)) {
    throw new OAuthError('invalid_request', 'delay_ms is required with failure "delay" and only with it', { requirement: 'CASTELLAN-TC-INPUT-1' });
  }
  if (!ENDPOINT_FAILURES[input.endpoint].includes(input.failure)) {
    throw new OAuthError('invalid_request', `failure ${input.failure} cannot be forced at the ${input.endpoint} endpoint (it can: ${ENDPOINT_FAILURES[input.endpoint].join(', ')})`, { requirement: 'CASTELLAN-TC-INPUT-1' });
  }
  if (!(await ctx.stores.clients.find(input.client_id))) throw new OAuthError('invalid_request', `no client ${input.client_id}`, { requirement: 'CASTELLAN-TC-INPUT-1' });
  return ctx.stores.testControl.addFailure({
    clientId: input.client_id, endpoint: input.endpoint, failure: input.failure, remaining: input.count, delayMs: input.delay_ms ?? null, createdAt: ctx.clock(),
  });
}

export function testControlRouter(ctx: Context): Router {
  const router = Router();
  const answer = (work: (req: Request, res: Response) => Promise<unknown>, status = 200) =>
    handle(async (req, res) => sendJson(res, status, await work(req, res)), (res, error) => sendOAuthError(res, error, ctx.logger));
  router.use(TEST_CONTROL_PATH, requireAdmin(ctx, (config) => config.testControlEnabled), express.json({ limit: '16kb' }));

  router.get(`${TEST_CONTROL_PATH}/status`, answer(async () => ({
    test_control: true, clock: clockState(ctx), seed_file: ctx.config.seedFile ?? null,
    failures: (await ctx.stores.testControl.pendingFailures()).map(failureView),
  })));

  router.get(`${TEST_CONTROL_PATH}/clock`, answer(async () => clockState(ctx)));
  router.post(`${TEST_CONTROL_PATH}/clock`, answer(async (req) => advanceClock(ctx, advanceSeconds(body<{ advance: string | number }>(advanceSchema, req).advance))));
  router.delete(`${TEST_CONTROL_PATH}/clock`, answer(async () => resetClock(ctx)));

  router.get(`${TEST_CONTROL_PATH}/failures`, answer(async () => ({ failures: (await ctx.stores.testControl.pendingFailures()).map(failureView) })));
  router.post(`${TEST_CONTROL_PATH}/failures`, answer(async (req) => failureView(await addFailure(ctx, body<FailureRequest>(failureSchema, req))), 201));
  router.delete(`${TEST_CONTROL_PATH}/failures`, answer(async () => ({ cleared: await ctx.stores.testControl.clearFailures() })));

  router.post(`${TEST_CONTROL_PATH}/keys/rotate`, answer(async () => {
    const active = await ctx.keystore.rotate();
    announce({ type: 'keys-changed' });
    return { active: active.map((key) => ({ kid: key.kid, alg: key.alg })) };
  }));

  router.post(`${TEST_CONTROL_PATH}/reset`, answer(async () => resetState(ctx)));
  return router;
}
