/**
 * Who is asking: the client address behind trusted reverse proxies, and whether the client's own
 * connection used TLS. X-Forwarded-For is believed only when the direct peer is a configured proxy,
 * because anyone can send the header.
 * @spec https://www.rfc-editor.org/rfc/rfc7239#section-8.1 (forwarding headers can be spoofed)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.13 (headers set by a reverse proxy are believed only from it)
 */
import { BlockList, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';

/** The addresses (IPs and CIDRs, IPv4 and IPv6) whose forwarding headers are believed. */
export class ProxyMatcher {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const parsed = parseProxyEntry(entry);
      if (!parsed) throw new Error(`not an IP address or CIDR: ${entry}`);
      if (parsed.prefix === undefined) this.list.addAddress(parsed.address, parsed.type);
      else this.list.addSubnet(parsed.address, parsed.prefix, parsed.type);
    }
  }

  contains(address: string | undefined): boolean {
    if (this.empty || !address) return false;
    const ip = normalizeIp(address);
    const type = isIP(ip);
    return type !== 0 && this.list.check(ip, type === 4 ? 'ipv4' : 'ipv6');
  }
}

/** `10.0.0.0/8`, `::1`, `fd00::/8` → address, family and prefix; undefined when malformed. */
export function parseProxyEntry(entry: string): { address: string; type: 'ipv4' | 'ipv6'; prefix?: number } | undefined {
  const [rawAddress, prefixText, extra] = entry.trim().split('/');
  if (extra !== undefined || !rawAddress) return undefined;
  const address = normalizeIp(rawAddress);
  const family = isIP(address);
  if (family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) return { address, type };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > (family === 4 ? 32 : 128)) return undefined;
  return { address, type, prefix: Number(prefixText) };
}

/**
 * One spelling per address: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports)
 * becomes plain IPv4, brackets, ports and zone ids are dropped, IPv6 is lower-cased.
 */
export function normalizeIp(raw: string): string {
  let text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1];
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  text = text.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  return mapped ? mapped[1] : text;
}

const asMatcher = (proxies: ProxyMatcher | readonly string[]) => (proxies instanceof ProxyMatcher ? proxies : new ProxyMatcher(proxies));

/**
 * The client's address. Without a trusted peer this is the socket's peer, whatever the headers say.
 * Behind trusted proxies the X-Forwarded-For chain is walked from the right (each proxy appends
 * the address it saw), skipping trusted hops; the first untrusted address is the client. Entries
 * left of it were written by that client and are never believed.
 */
export function clientIp(req: Request, proxies: ProxyMatcher | readonly string[]): string {
  const matcher = asMatcher(proxies);
  const peer = req.socket.remoteAddress ? normalizeIp(req.socket.remoteAddress) : 'unknown';
  if (!matcher.contains(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((hop) => hop.trim()).filter(Boolean);
  let current = peer;
  for (let i = chain.length - 1; i >= 0; i -= 1) {
    const hop = normalizeIp(chain[i]);
    // A trusted proxy wrote something that is not an address: the client is unknown behind `current`.
    if (isIP(hop) === 0) return current;
    current = hop;
    if (!matcher.contains(hop)) return hop;
  }
  return current;
}

/**
 * Whether the client reached us over TLS: our own TLS socket, or (only with BEHIND_PROXY) a trusted
 * proxy saying so in X-Forwarded-Proto. Decides HSTS, which must not be sent over plain http.
 */
export function requestIsHttps(req: Request, proxies: ProxyMatcher | readonly string[], behindProxy: boolean): boolean {
  if ((req.socket as TLSSocket).encrypted === true) return true;
  if (!behindProxy || !asMatcher(proxies).contains(req.socket.remoteAddress)) return false;
  const proto = req.headers['x-forwarded-proto'];
  // The nearest proxy's value is the last one when several were appended.
  const last = (Array.isArray(proto) ? proto.join(',') : proto ?? '').split(',').pop()?.trim().toLowerCase();
  return last === 'https';
}

/** One matcher per configuration (the proxies are configuration), for code that has the context but no app. */
const matchers = new WeakMap<object, ProxyMatcher>();

export function proxiesOf(config: { trustedProxies: readonly string[] }): ProxyMatcher {
  let matcher = matchers.get(config);
  if (!matcher) {
    matcher = new ProxyMatcher(config.trustedProxies);
    matchers.set(config, matcher);
  }
  return matcher;
}
