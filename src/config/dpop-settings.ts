/**
 * Settings of DPoP (RFC 9449): how old a proof may be, how far in the future its iat may lie, and
 * whether the server demands nonces (and how long each one lives).
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.3 (iat within an acceptable window)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-8 (server-provided nonces)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-11.1 (a short window limits pre-generated proofs)
 */
import { parseDuration } from './duration.js';

export interface DpopConfig {
  /** Seconds a proof is accepted after its iat (DPOP_PROOF_MAX_AGE); its jti is remembered that long. */
  dpopProofMaxAge: number;
  /**
   * Seconds an iat may lie in the future, for clients whose clocks run ahead (DPOP_PROOF_CLOCK_SKEW).
   * The default, 10, is what FAPI 2.0 SP §5.3.2.1 asks servers to accept.
   */
  dpopProofClockSkew: number;
  /** When true every proof must carry a nonce this server issued (DPOP_NONCE_REQUIRED). */
  dpopNonceRequired: boolean;
  /** Seconds one nonce slot lasts; the nonce of the slot before is still accepted (DPOP_NONCE_LIFETIME). */
  dpopNonceLifetime: number;
}

/** A proof older than ten minutes protects little and makes the replay cache large. */
const MAX_PROOF_AGE = 600;

export function asProofAge(raw: unknown): number | undefined {
  const seconds = typeof raw === 'string' ? parseDuration(raw) : undefined;
  return seconds !== undefined && seconds <= MAX_PROOF_AGE ? seconds : undefined;
}

/** Nonce slots from a minute (every client re-fetches often) to a day. */
export function asNonceLifetime(raw: unknown): number | undefined {
  const seconds = typeof raw === 'string' ? parseDuration(raw) : undefined;
  return seconds !== undefined && seconds >= 60 && seconds <= 86_400 ? seconds : undefined;
}
