/**
 * GET /openapi.json: the OpenAPI 3.1 description of this server, naming its issuer as the server URL.
 * Built once per app; the document depends only on code and the issuer.
 * @spec https://spec.openapis.org/oas/v3.1.0#openapi-document
 */
import { Router } from 'express';
import type { Context } from '../server/context.js';
import { OPENAPI_PATH, openApiDocument } from './openapi-document.js';

export function openApiRouter(ctx: Context): Router {
  const router = Router();
  const body = JSON.stringify(openApiDocument(ctx.config.issuer));
  router.get(OPENAPI_PATH, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('application/json').send(body);
  });
  return router;
}
