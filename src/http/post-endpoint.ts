/**
 * The frame every POST-only OAuth endpoint shares (token, introspection, revocation, registration):
 * its body parser, the handler whose errors become RFC 6749 §5.2 JSON, and 405 with `Allow: POST`
 * for any other method. Each endpoint keeps only its phases.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.2 (the client MUST use POST)
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { OAuthError } from '../errors/oauth-error.js';
import { handle, sendOAuthError } from './respond.js';

export interface PostEndpoint {
  path: string;
  parseBody: RequestHandler;
  logger: Logger;
  /** The error_description of the 405 answer to any other method. */
  otherMethods: string;
}

export function postOnlyRouter(endpoint: PostEndpoint, run: (req: Request, res: Response) => Promise<void>): Router {
  const router = Router();
  router.post(endpoint.path, endpoint.parseBody, handle(run, (res, error) => sendOAuthError(res, error, endpoint.logger)));
  router.all(endpoint.path, (_req, res) => {
    res.set('Allow', 'POST');
    sendOAuthError(res, new OAuthError('invalid_request', endpoint.otherMethods, { requirement: 'RFC6749-3.2-1', status: 405 }));
  });
  return router;
}
