/**
 * Blocked client addresses: single IPs or CIDR ranges in the `ip_blocks` table (the one source of
 * truth), cached on each node and reloaded every few seconds with one cheap query, and enforced by
 * a middleware that runs before every endpoint: 403 `access_denied` as JSON, or an HTML page for a
 * browser. The address is the client's behind trusted proxies, never a forwarding header anyone sets.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10 (brute force)
 * @spec https://www.rfc-editor.org/rfc/rfc7239#section-8.1 (forwarding headers can be spoofed)
 */
import { BlockList, isIP } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { sendErrorPage, sendOAuthError } from '../http/respond.js';
import type { Context } from '../server/context.js';
import type { IpBlockRecord, Stores, Tx } from '../storage/stores.js';
import { audit, requestIpOf } from './audit.js';
import { auditRefusal } from './audit-rate-limit.js';
import { normalizeIp, parseProxyEntry } from './client-ip.js';
import { NodeState } from './node-state.js';
import { announce } from '../server/cluster-notices.js';

export { STATE_REFRESH_SECONDS } from './node-state.js';

/** `203.0.113.7`, `::ffff:203.0.113.7`, `2001:DB8::/32` → one spelling; undefined when not an address or range. */
export function normalizeBlockEntry(text: string): string | undefined {
  const parsed = parseProxyEntry(text);
  return parsed ? (parsed.prefix === undefined ? parsed.address : `${parsed.address}/${parsed.prefix}`) : undefined;
}

/** A BlockList holding one entry; undefined when the entry is not an address or range. */
function compile(entry: string, into = new BlockList()): BlockList | undefined {
  const parsed = parseProxyEntry(entry);
  if (!parsed) return undefined;
  if (parsed.prefix === undefined) into.addAddress(parsed.address, parsed.type);
  else into.addSubnet(parsed.address, parsed.prefix, parsed.type);
  return into;
}

/** One node's copy of the blocks in force. */
export class Blocklist {
  /** Every entry at once, so an unblocked address costs one check. */
  private all = new BlockList();
  private entries: { record: IpBlockRecord; list: BlockList }[] = [];
  private readonly state = new NodeState<Pick<Context, 'stores' | 'clock' | 'logger'>>('IP blocklist', async (ctx, now) => {
    const records = await ctx.stores.ipBlocks.listActive(now);
    const all = new BlockList();
    const entries: { record: IpBlockRecord; list: BlockList }[] = [];
    for (const record of records) {
      const list = compile(record.ip);
      if (!list) continue;
      compile(record.ip, all);
      entries.push({ record, list });
    }
    this.all = all;
    this.entries = entries;
  });

  /** The cached blocks, reloaded when older than STATE_REFRESH_SECONDS (node-state.ts). */
  async fresh(ctx: Pick<Context, 'stores' | 'clock' | 'logger'>): Promise<this> {
    await this.state.fresh(ctx);
    return this;
  }

  /** Reloads now (one query at a time per node); on failure the previous blocks stay in force. */
  reload(ctx: Pick<Context, 'stores' | 'clock' | 'logger'>): Promise<void> {
    return this.state.reload(ctx);
  }

  /** The block covering `ip` (expired ones are ignored even before the next reload), if any. */
  match(ip: string, now: number): IpBlockRecord | undefined {
    const address = normalizeIp(ip);
    const family = isIP(address);
    if (family === 0 || this.entries.length === 0) return undefined;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (!this.all.check(address, type)) return undefined;
    return this.entries.find(({ record, list }) => (record.expiresAt === null || record.expiresAt > now) && list.check(address, type))?.record;
  }
}

const blocklists = new WeakMap<Stores, Blocklist>();

/** The node's blocklist (one per database handle). */
export function blocklistOf(ctx: Pick<Context, 'stores'>): Blocklist {
  let list = blocklists.get(ctx.stores);
  if (!list) {
    list = new Blocklist();
    blocklists.set(ctx.stores, list);
  }
  return list;
}

/** Refuses requests from blocked addresses; mounted before every endpoint. */
export function ipBlockGate(ctx: Context) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const list = await blocklistOf(ctx).fresh(ctx);
    const ip = requestIpOf(ctx, req);
    const block = list.match(ip, ctx.clock());
    if (!block) return next();
    auditRefusal(ctx, req, `ip|${ip}`, { type: 'ip.request_blocked', details: { block: block.ip, source: block.source, method: req.method, path: req.path.slice(0, 128) } });
    const error = new OAuthError('access_denied', 'Requests from this address are blocked', { requirement: 'ASVS-16.3.2', status: 403 });
    if (req.accepts(['json', 'html']) === 'html') sendErrorPage(res, error);
    else sendOAuthError(res, error);
  };
}

export interface BlockRequest {
  entry: string;
  reason: string;
  /** Seconds until the block lapses; undefined blocks until `ip unblock`. */
  duration?: number;
}

/** An operator's block: replaces any block of the same entry, audited in the same transaction. */
export async function blockIp(ctx: Context, request: BlockRequest, tx?: Tx): Promise<IpBlockRecord> {
  const entry = normalizeBlockEntry(request.entry);
  if (!entry) throw new OAuthError('invalid_request', `${request.entry} is not an IP address or CIDR range`, { requirement: 'CASTELLAN-BLOCKLIST-1' });
  const now = ctx.clock();
  const block: IpBlockRecord = { ip: entry, reason: request.reason.slice(0, 255), source: 'operator', createdAt: now, expiresAt: request.duration ? now + request.duration : null };
  const write = async (t: Tx) => {
    await ctx.stores.ipBlocks.put(block, t);
    await audit(ctx, undefined, { type: 'ip.blocked', ip: entry, details: { reason: block.reason, source: 'operator', expires_at: block.expiresAt } }, t);
  };
  if (tx) await write(tx);
  else await ctx.stores.transaction(write);
  await blocklistOf(ctx).reload(ctx);
  announce({ type: 'ip-blocks-changed' });
  return block;
}

/** Lifts a block; false when there was none for that entry. */
export async function unblockIp(ctx: Context, text: string): Promise<boolean> {
  const entry = normalizeBlockEntry(text);
  if (!entry) throw new OAuthError('invalid_request', `${text} is not an IP address or CIDR range`, { requirement: 'CASTELLAN-BLOCKLIST-1' });
  const removed = await ctx.stores.transaction(async (tx) => {
    const found = await ctx.stores.ipBlocks.remove(entry, tx);
    if (found) await audit(ctx, undefined, { type: 'ip.unblocked', ip: entry }, tx);
    return found;
  });
  await blocklistOf(ctx).reload(ctx);
  announce({ type: 'ip-blocks-changed' });
  return removed;
}
