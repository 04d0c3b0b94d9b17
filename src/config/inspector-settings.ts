/**
 * Settings of the request inspector (src/inspector/): how many recorded requests are kept per
 * client and for how long. Whether it runs at all is INSPECTOR_ENABLED (admin-settings.ts).
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.1.1: how long logs are kept)
 */

export interface InspectorConfig {
  /** Recorded requests kept per client; older ones are dropped as new ones arrive. */
  inspectorMaxPerClient: number;
  /** Seconds a recorded request is kept before the retention pass deletes it. */
  inspectorRetention: number;
}

/** The most requests kept or read per client (INSPECTOR_MAX_PER_CLIENT, `castellan trace --limit`). */
export const MAX_TRACE_COUNT = 10_000;
/** How the setting and the CLI option describe a valid count. */
export const TRACE_COUNT_RULE = `an integer from 1 to ${MAX_TRACE_COUNT}`;

/** An integer from 1 to MAX_TRACE_COUNT: the newest requests a client's page can show. */
export function asTraceCount(raw: unknown): number | undefined {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  return Number.isInteger(value) && value >= 1 && value <= MAX_TRACE_COUNT ? value : undefined;
}
