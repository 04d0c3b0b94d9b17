/**
 * Server-provided DPoP nonces, stateless so every node accepts every node's nonce: a nonce is the
 * time slot it was made in plus an HMAC of that slot under a key derived from the master key (which
 * all nodes share). A new nonce appears every slot; the previous slot's is still accepted, so a
 * client holding one has at least a full slot to use it.
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-8 (use_dpop_nonce with a DPoP-Nonce header)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-8.2 (a new nonce on any response, including 200)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-9 (the same at resource servers)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-11.2 (nonces limit pre-generated proofs)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from '../server/context.js';
import type { Sealer } from '../tokens/master-key.js';

/** Derived once per master key, not per request. */
const nonceKeys = new WeakMap<Sealer, Buffer>();

function nonceKey(sealer: Sealer): Buffer {
  let key = nonceKeys.get(sealer);
  if (!key) {
    key = sealer.deriveKey('dpop-nonce');
    nonceKeys.set(sealer, key);
  }
  return key;
}

type NonceContext = Pick<Context, 'config' | 'sealer' | 'clock'>;

/** 128 bits of the HMAC: a nonce cannot be guessed, and the header stays short. */
const mac = (ctx: NonceContext, slot: number): Buffer => createHmac('sha256', nonceKey(ctx.sealer)).update(`dpop-nonce:${slot}`).digest().subarray(0, 16);

const currentSlot = (ctx: NonceContext): number => Math.floor(ctx.clock() / ctx.config.dpopNonceLifetime);

/** The nonce of the current slot: base36 slot, a dot, base64url MAC (all NQCHAR, §8.1). */
export function currentNonce(ctx: NonceContext): string {
  const slot = currentSlot(ctx);
  return `${slot.toString(36)}.${mac(ctx, slot).toString('base64url')}`;
}

/** True for a nonce this server made in the current or the previous slot. */
export function isFreshNonce(ctx: NonceContext, nonce: unknown): boolean {
  if (typeof nonce !== 'string' || nonce.length > 64) return false;
  const match = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/.exec(nonce);
  if (!match) return false;
  const slot = Number.parseInt(match[1], 36);
  const current = currentSlot(ctx);
  if (slot !== current && slot !== current - 1) return false;
  return timingSafeEqual(Buffer.from(match[2], 'base64url'), mac(ctx, slot));
}

/** The DPoP-Nonce header for a response, when nonces are in use (none otherwise). */
export function nonceHeaders(ctx: NonceContext): Record<string, string> {
  return ctx.config.dpopNonceRequired ? { 'DPoP-Nonce': currentNonce(ctx) } : {};
}
