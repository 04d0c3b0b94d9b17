/**
 * The one middleware that records requests to the protocol endpoints, mounted only while the
 * inspector is on. It reads nothing before the endpoint runs: it keeps the JSON the response ends
 * with (at most 64 KiB) and, once the response has finished, builds the trace (trace-entry.ts)
 * and hands it to the recorder's queue. A request to any other path costs one map lookup.
 * @spec https://www.rfc-editor.org/rfc/rfc6819#section-5.1.4.1.3 (no usable credential at rest)
 */
import { performance } from 'node:perf_hooks';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { parsedFormBody, queryParams } from '../http/params.js';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import type { Context } from '../server/context.js';
import { buildTrace, type ObservedExchange } from './trace-entry.js';
import { opaqueBearerHash, recorderFor } from './trace-recorder.js';

/** Protocol endpoints by path; PAR's path is /par (RFC 9126 names none; it is announced in metadata). */
const RECORDED_PATHS: ReadonlyMap<string, string> = new Map([
  [PATHS.authorization, 'authorization'], [PATHS.token, 'token'], [PATHS.userinfo, 'userinfo'], [PATHS.introspection, 'introspection'],
  [PATHS.revocation, 'revocation'], [PATHS.deviceAuthorization, 'device_authorization'], [PATHS.endSession, 'end_session'],
  [PATHS.registration, 'registration'], [PATHS.pushedAuthorization, 'par'],
]);

/** Largest response body kept to read tokens and errors from. */
const MAX_CAPTURED_BODY = 64 * 1024;

/** The sign-in pages that may end an authorization request: recorded only when they deliver its answer. */
const INTERACTION_PATH = /^\/interaction\/[^/]+\/(login|mfa|consent)$/;

function endpointOf(path: string): { endpoint: string; pathClientId?: string; resumed?: boolean } | undefined {
  const endpoint = RECORDED_PATHS.get(path);
  if (endpoint) return { endpoint };
  if (INTERACTION_PATH.test(path)) return { endpoint: 'authorization', resumed: true };
  // RFC 7592: the client configuration endpoint names its client in the path.
  const management = /^\/register\/([^/]{1,255})$/.exec(path);
  if (!management) return undefined;
  try {
    return { endpoint: 'registration', pathClientId: decodeURIComponent(management[1]) };
  } catch {
    return undefined;
  }
}

/** Query parameters and the form (or JSON) body; an ill-formed one counts as none (the endpoint already answered it). */
function paramsOf(req: Request): Record<string, unknown> {
  let params: Record<string, unknown> = {};
  try {
    params = { ...queryParams(req) };
    const form = parsedFormBody(req);
    if (form) params = { ...params, ...form };
    else if (req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body) && !Array.isArray(req.body)) params = { ...params, ...(req.body as Record<string, unknown>) };
  } catch {
    // Nothing more to read.
  }
  return params;
}

function jsonBody(res: Response, chunk: unknown): Record<string, unknown> | undefined {
  const type = String(res.getHeader('content-type') ?? '');
  if (!type.startsWith('application/json')) return undefined;
  const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
  if (text === undefined || text.length > MAX_CAPTURED_BODY) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The form_post page's target and hidden fields (src/rfc6749-oauth2/authorization-response.ts writes it). */
export function formPostOf(res: Response, chunk: unknown): { action: string; fields: Record<string, string> } | undefined {
  if (!String(res.getHeader('content-type') ?? '').startsWith('text/html')) return undefined;
  const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
  const action = /<form method="post" action="([^"]*)" id="form-post">/.exec(text)?.[1];
  if (action === undefined || text.length > MAX_CAPTURED_BODY) return undefined;
  const unescape = (value: string) => value.replace(/&(amp|lt|gt|quot|#39);/g, (_m, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name]!);
  const fields: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[unescape(name)] = unescape(value);
  return { action: unescape(action), fields };
}

export function traceCapture(ctx: Context): RequestHandler {
  const recorder = recorderFor(ctx);
  return (req: Request, res: Response, next: NextFunction) => {
    const target = endpointOf(req.path);
    if (!target) return next();
    const started = performance.now();
    let lastChunk: unknown;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = ((...args: unknown[]) => {
      if (typeof args[0] !== 'function') lastChunk = args[0];
      return end(...args);
    }) as Response['end'];
    res.once('finish', () => {
      try {
        // A sign-in page is recorded only when it delivered the authorization response: as that
        // response, for its client, without the page's form (credentials, one-time codes).
        const resumedFor = target.resumed ? res.locals.authorizationResponseClient as string | undefined : undefined;
        if (target.resumed && resumedFor === undefined) return;
        const location = res.getHeader('location');
        const exchange: ObservedExchange = {
          endpoint: target.endpoint, pathClientId: resumedFor ?? target.pathClientId, method: req.method,
          params: target.resumed ? {} : paramsOf(req), authorization: target.resumed ? undefined : req.headers.authorization, dpop: req.get('dpop'),
          status: res.statusCode, location: typeof location === 'string' ? location : undefined, body: jsonBody(res, lastChunk),
          formPost: target.endpoint === 'authorization' ? formPostOf(res, lastChunk) : undefined,
        };
        lastChunk = undefined;
        const trace = buildTrace(exchange, ctx.clock(), performance.now() - started);
        recorder.push({ trace, bearerHash: trace.clientId ? undefined : opaqueBearerHash(req.headers.authorization) });
      } catch (error) {
        ctx.logger.warn({ err: error }, 'request inspector: trace not built');
      }
    });
    next();
  };
}
