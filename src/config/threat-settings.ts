/**
 * Settings of audit retention, threat detection and incident response. Parsers return undefined for
 * a bad value so loadConfig reports it in its usual one-line form.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16: security logging and alerting)
 */
import { parseDuration } from './duration.js';

export interface ThreatConfig {
  /** Seconds between threat detector runs on each node; 0 turns the detector off. */
  threatDetectionInterval: number;
  /** Where findings are POSTed as JSON (optional). */
  threatWebhookUrl?: string;
  /** Audit events older than this many seconds are deleted by the retention pass. */
  auditRetention: number;
  /** How long an address blocked by the detector stays blocked, in seconds. */
  ipBlockDuration: number;
}

/** An ISO 8601 duration, or `0`/`off` for "never" (the detector only). */
export function asOptionalInterval(raw: unknown): number | undefined {
  if (raw === 0 || raw === '0' || raw === 'off') return 0;
  const seconds = typeof raw === 'string' ? parseDuration(raw) : undefined;
  return seconds !== undefined && seconds > 0 ? seconds : undefined;
}

export function asPositiveDuration(raw: unknown): number | undefined {
  const seconds = typeof raw === 'string' ? parseDuration(raw) : undefined;
  return seconds !== undefined && seconds > 0 ? seconds : undefined;
}

export function asWebhookUrl(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > 2048) return undefined;
  try {
    const url = new URL(raw);
    return ['http:', 'https:'].includes(url.protocol) && !url.username && !url.password && !url.hash ? raw : undefined;
  } catch {
    return undefined;
  }
}

/** Problems that involve more than one setting, in loadConfig's one-line style. */
export function threatProblems(config: Partial<ThreatConfig> & { production: boolean }): string[] {
  const problems: string[] = [];
  // Findings name addresses and clients: they travel encrypted in production.
  if (config.production && config.threatWebhookUrl?.startsWith('http:')) problems.push('THREAT_WEBHOOK_URL must be https when CASTELLAN_PRODUCTION=true');
  return problems;
}
