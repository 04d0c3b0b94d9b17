/**
 * Request parameters as flat string maps: the query string for GET, the form body for POST.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.1 (empty values are treated as omitted)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.2 (token endpoint uses application/x-www-form-urlencoded)
 * @spec https://url.spec.whatwg.org/#application/x-www-form-urlencoded (UTF-8 percent-encoded names and values)
 */
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Params } from '../schema/validator.js';
import { OAuthError } from '../errors/oauth-error.js';
import { ILL_FORMED_TEXT, isWellFormedEncoded, utf8Text } from './text-input.js';

/**
 * The form media type, any case, with or without parameters (`; charset=UTF-8`). A plain test
 * of the header: body-parser's generic matcher (type-is) parses and normalises every media type,
 * a measurable share of a token or introspection request, for a question with one answer.
 */
const FORM_TYPE = /^application\/x-www-form-urlencoded[\t ]*(?:;|$)/i;

export const isFormRequest = (req: IncomingMessage): boolean => FORM_TYPE.test(req.headers['content-type'] ?? '');

/** Raw body up to 64 KiB for urlencoded forms; larger bodies are refused by express with 413. */
export const formBody = express.raw({ type: isFormRequest, limit: '64kb' });

/**
 * Parses urlencoded text; a repeated name yields an array, an empty value is dropped. Text that is
 * not UTF-8 once percent-decoded, or that holds NUL, is invalid_request before anyone reads it.
 */
export function parseUrlEncoded(text: string): Params {
  if (!isWellFormedEncoded(text)) throw new OAuthError('invalid_request', ILL_FORMED_TEXT, { requirement: 'RFC6749-5.2-7' });
  const params: Params = Object.create(null);
  for (const [name, value] of new URLSearchParams(text)) {
    if (value === '') continue;
    const existing = params[name];
    if (existing === undefined) params[name] = value;
    else params[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return params;
}

export function queryParams(req: Request): Params {
  const index = req.originalUrl.indexOf('?');
  return index === -1 ? Object.create(null) : parseUrlEncoded(req.originalUrl.slice(index + 1));
}

/**
 * Each request's form, parsed once: the token endpoint's rate-limit key reads the client_id before
 * the endpoint reads the form. Readers never change the result (validateParams works on a copy).
 */
const parsedForms = new WeakMap<IncomingMessage, Params>();

/**
 * The parsed urlencoded body, or undefined when the request has none (another media type, no body
 * parser). Ill-formed text (see parseUrlEncoded) is invalid_request.
 */
export function parsedFormBody(req: Request): Params | undefined {
  const parsed = parsedForms.get(req);
  if (parsed !== undefined) return parsed;
  if (!isFormRequest(req) || !Buffer.isBuffer(req.body)) return undefined;
  // Raw bytes are checked before decoding: toString would replace invalid ones with U+FFFD.
  const text = utf8Text(req.body);
  if (text === undefined) throw new OAuthError('invalid_request', ILL_FORMED_TEXT, { requirement: 'RFC6749-5.2-7' });
  const params = parseUrlEncoded(text);
  parsedForms.set(req, params);
  return params;
}

/** The form body of a POST; anything but urlencoded is refused. */
export function formParams(req: Request): Params {
  const params = parsedFormBody(req);
  if (params !== undefined) return params;
  if (!isFormRequest(req)) {
    throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded', { requirement: 'RFC6749-3.2-2' });
  }
  // A form with no body read (no body parser on the route, or an empty body).
  return Object.create(null);
}

/** GET reads the query; POST reads the form body (authorization, userinfo and logout accept both). */
export function requestParams(req: Request): Params {
  return req.method === 'POST' ? formParams(req) : queryParams(req);
}

/**
 * Path segments are parameters too (/register/{client_id}, /interaction/{uid}): one check of the
 * decoded path for every route, before any router reads req.params. Express itself answers 400 to
 * percent sequences it cannot decode; this refuses the ones it can (NUL) and any not UTF-8.
 */
export function wellFormedPath(req: Request, _res: Response, next: NextFunction): void {
  if (isWellFormedEncoded(req.path)) next();
  else next(new OAuthError('invalid_request', ILL_FORMED_TEXT, { requirement: 'RFC6749-5.2-7' }));
}
