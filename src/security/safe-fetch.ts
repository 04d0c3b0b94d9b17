/**
 * The one outbound HTTP client (jwks_uri, back-channel logout, request objects): https only in
 * production, every resolved address checked against the address policy at connect time (so DNS
 * rebinding cannot swap in a private address after the check), no redirects, size and time limits.
 * Cloud metadata services and link-local addresses are refused under every policy.
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isAlwaysForbiddenAddress, isForbiddenAddress, isMetadataHostName } from './address-policy.js';

export interface SafeFetchPolicy {
  /** Refuse plain http (production). */
  requireHttps: boolean;
  /** Allow private and loopback targets (development and tests only); metadata and link-local addresses never. */
  allowPrivateNetworks: boolean;
  timeoutMs: number;
  maxResponseBytes: number;
}

export const DEFAULT_FETCH_POLICY: SafeFetchPolicy = { requireHttps: true, allowPrivateNetworks: false, timeoutMs: 5_000, maxResponseBytes: 512 * 1024 };

/**
 * The policy for requests to client-supplied URLs under this configuration: https only in
 * production; private networks only where OUTBOUND_ALLOW_PRIVATE_NETWORKS allows (by default
 * outside production only).
 */
export function outboundPolicy(config: { production: boolean; outboundAllowPrivateNetworks: boolean }): SafeFetchPolicy {
  return { ...DEFAULT_FETCH_POLICY, requireHttps: config.production, allowPrivateNetworks: config.outboundAllowPrivateNetworks };
}

export class OutboundRequestError extends Error {
  /**
   * @param unreachable the target did not answer (refused, reset, unresolvable, timed out): a fault
   *   that may pass, unlike a request the policy refused, which asking again cannot change.
   */
  constructor(message: string, readonly unreachable = false) {
    super(message);
    this.name = 'OutboundRequestError';
  }
}

export interface SafeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Metadata and link-local addresses under every policy; the rest of the private ranges unless allowed. */
export function isAllowedAddress(address: string, policy: SafeFetchPolicy): boolean {
  if (isAlwaysForbiddenAddress(address)) return false;
  return policy.allowPrivateNetworks || !isForbiddenAddress(address);
}

/** Checks the URL's syntax and scheme before any network activity. */
export function checkOutboundUrl(raw: string, policy: SafeFetchPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRequestError('not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.requireHttps)) throw new OutboundRequestError(`scheme ${url.protocol} is not allowed`);
  if (url.username || url.password) throw new OutboundRequestError('credentials in the URL are not allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isMetadataHostName(host)) throw new OutboundRequestError(`host ${host} is a cloud metadata service`);
  if (isIP(host) && !isAllowedAddress(host, policy)) throw new OutboundRequestError(`address ${host} is not allowed`);
  return url;
}

function guardedLookup(policy: SafeFetchPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter((a) => isAllowedAddress(a.address, policy));
      if (allowed.length === 0 || allowed.length !== addresses.length) {
        return callback(new OutboundRequestError(`${hostname} resolves to a forbidden address`), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, allowed[0].address, allowed[0].family);
    });
  };
}

export async function safeFetch(
  raw: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
  policy: SafeFetchPolicy = DEFAULT_FETCH_POLICY,
): Promise<SafeResponse> {
  const url = checkOutboundUrl(raw, policy);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: init.method ?? 'GET', headers: init.headers, lookup: guardedLookup(policy), timeout: policy.timeoutMs }, (res) => {
      // Redirects are never followed: a redirect is how SSRF filters are usually bypassed.
      if ((res.statusCode ?? 0) >= 300 && (res.statusCode ?? 0) < 400) {
        res.resume();
        return reject(new OutboundRequestError(`redirect (${res.statusCode}) refused`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > policy.maxResponseBytes) {
          res.destroy();
          req.destroy();
          reject(new OutboundRequestError('response too large'));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (error) => reject(new OutboundRequestError(error.message, true)));
    });
    req.on('timeout', () => req.destroy(new OutboundRequestError('timed out', true)));
    req.on('error', (error) => reject(error instanceof OutboundRequestError ? error : new OutboundRequestError(error.message, true)));
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}
