/**
 * Delivers a threat finding to THREAT_WEBHOOK_URL as a JSON POST through the one outbound client
 * (no redirects, time and size limits). The URL is the operator's own, so it may be on a private
 * network; in production it must be https (checked at start-up). A failed delivery is logged and
 * not retried: the finding is already in the database and the audit log.
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html (outbound requests)
 */
import type { Context } from '../server/context.js';
import { DEFAULT_FETCH_POLICY, safeFetch, type SafeFetchPolicy } from './safe-fetch.js';
import type { Finding } from './threat-detection.js';

export const WEBHOOK_USER_AGENT = 'castellan-threat-detector';

export function webhookPolicy(config: { production: boolean }): SafeFetchPolicy {
  return { ...DEFAULT_FETCH_POLICY, requireHttps: config.production, allowPrivateNetworks: true, maxResponseBytes: 64 * 1024 };
}

/** The body: the finding, never a credential (findings hold addresses, client ids and counts). */
export function webhookBody(ctx: Context, finding: Finding): Record<string, unknown> {
  return { issuer: ctx.config.issuer, type: finding.type, subject: finding.subject, at: new Date(finding.at * 1000).toISOString(), details: finding.details };
}

/** POSTs the finding; true when the receiver answered 2xx. Never throws. */
export async function sendThreatWebhook(ctx: Context, finding: Finding): Promise<boolean> {
  const url = ctx.config.threatWebhookUrl;
  if (!url) return false;
  try {
    const response = await safeFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': WEBHOOK_USER_AGENT },
      body: JSON.stringify(webhookBody(ctx, finding)),
    }, webhookPolicy(ctx.config));
    if (response.status >= 200 && response.status < 300) return true;
    ctx.logger.warn({ status: response.status, finding: finding.type }, 'threat webhook refused the finding');
  } catch (error) {
    ctx.logger.warn({ err: error, finding: finding.type }, 'threat webhook not delivered');
  }
  return false;
}
