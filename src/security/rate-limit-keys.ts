/**
 * What each policy counts by. The token endpoint counts per client address and client_id together,
 * the client_id read the way client authentication finds it (the same Basic parser, the same
 * parsed form): the Basic header, the form's client_id, or the client assertion's issuer. Nothing
 * here authenticates: the key only has to be stable for the same caller.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 (Basic: form-encoded client_id)
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-3 (iss and sub are the client_id)
 */
import type { Request } from 'express';
import { parsedFormBody } from '../http/params.js';
import { parseBasicCredentials } from '../rfc6749-oauth2/client-authentication.js';
import { clientIp, type ProxyMatcher } from './client-ip.js';

/** Counts by client address (authorization, registration). */
export const byClientIp = (proxies: ProxyMatcher) => (req: Request): string => clientIp(req, proxies);

/** Counts by client address and client_id (token endpoint). Needs the form body read first (formBody). */
export const byClientIpAndClientId = (proxies: ProxyMatcher) => (req: Request): string =>
  `${clientIp(req, proxies)}|${requestClientId(req) ?? '-'}`;

export function requestClientId(req: Request): string | undefined {
  const basic = req.headers.authorization;
  return (basic ? parseBasicCredentials(basic)?.clientId : undefined) ?? formClientId(req);
}

function formClientId(req: Request): string | undefined {
  const params = parsedFormBody(req);
  if (!params) return undefined;
  const clientId = first(params.client_id);
  if (clientId) return clientId;
  const assertion = first(params.client_assertion);
  return assertion ? assertionIssuer(assertion) : undefined;
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The unverified `iss` (else `sub`) of a JWT; verification is the token endpoint's job. */
function assertionIssuer(jwt: string): string | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const issuer = typeof claims.iss === 'string' ? claims.iss : claims.sub;
    return typeof issuer === 'string' && issuer.length > 0 ? issuer : undefined;
  } catch {
    return undefined;
  }
}
