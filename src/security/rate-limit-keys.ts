/**
 * What each policy counts by. The token endpoint counts per client address and client_id together,
 * the client_id read the way client authentication would find it: the Basic header, the form's
 * client_id, or the client assertion's issuer. Nothing here authenticates: the key only has to be
 * stable for the same caller.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 (Basic: form-encoded client_id)
 * @spec https://www.rfc-editor.org/rfc/rfc7523#section-3 (iss and sub are the client_id)
 */
import type { Request } from 'express';
import { isFormRequest, parseUrlEncoded } from '../http/params.js';
import { clientIp, type ProxyMatcher } from './client-ip.js';

/** Counts by client address (authorization, registration). */
export const byClientIp = (proxies: ProxyMatcher) => (req: Request): string => clientIp(req, proxies);

/** Counts by client address and client_id (token endpoint). Needs the form body read first (formBody). */
export const byClientIpAndClientId = (proxies: ProxyMatcher) => (req: Request): string =>
  `${clientIp(req, proxies)}|${requestClientId(req) ?? '-'}`;

export function requestClientId(req: Request): string | undefined {
  return basicClientId(req.get('authorization')) ?? formClientId(req);
}

function basicClientId(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return formDecode(decoded.slice(0, colon));
}

function formClientId(req: Request): string | undefined {
  if (!Buffer.isBuffer(req.body) || !isFormRequest(req)) return undefined;
  const params = parseUrlEncoded(req.body.toString('utf8'));
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

function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
