/**
 * GET /.well-known/openid-configuration, /.well-known/oauth-authorization-server and the JWKS.
 * @spec https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationResponse
 * @spec https://www.rfc-editor.org/rfc/rfc8414#section-3
 * @spec https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
import { Router } from 'express';
import type { Context } from '../server/context.js';
import { PATHS, providerMetadata } from './provider-metadata.js';

export function discoveryRouter(ctx: Context): Router {
  const router = Router();
  const metadata = () => JSON.stringify(providerMetadata(ctx.config));
  const sendMetadata = (_req: unknown, res: import('express').Response) => {
    res.set('Cache-Control', 'public, max-age=300').type('application/json').send(metadata());
  };
  router.get(PATHS.discovery, sendMetadata);
  router.get(PATHS.asMetadata, sendMetadata);
  router.get(PATHS.jwks, async (_req, res, next) => {
    try {
      // Short cache: a key rotated on another node must reach relying parties quickly.
      res.set('Cache-Control', 'public, max-age=60').type('application/jwk-set+json').send(JSON.stringify(await ctx.keystore.jwks()));
    } catch (error) {
      next(error);
    }
  });
  return router;
}
