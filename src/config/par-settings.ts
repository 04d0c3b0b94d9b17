/**
 * Settings of pushed authorization requests (RFC 9126): how long a request_uri lives, and whether
 * every client must push its authorization requests.
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-2.2 (expires_in: a short lifetime, 5 to 600 seconds suggested)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-5 (require_pushed_authorization_requests)
 */
import { parseDuration } from './duration.js';

export interface ParConfig {
  /** Seconds a request_uri may be used after it was issued (PAR_TTL). */
  parTtl: number;
  /** When true, /authorize accepts only pushed requests, for every client (REQUIRE_PAR). */
  requirePar: boolean;
}

/** RFC 9126 §2.2 suggests 5 to 600 seconds: long enough for a redirect, short enough to limit replay. */
export function asParTtl(raw: unknown): number | undefined {
  const seconds = typeof raw === 'string' ? parseDuration(raw) : undefined;
  return seconds !== undefined && seconds >= 5 && seconds <= 600 ? seconds : undefined;
}
