/**
 * Settings of audit retention, threat detection and incident response: defaults, parsing, and the
 * production rule for the webhook.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { configProblems } from '../support/config-problems.js';

describe('threat detection and audit settings', () => {
  it('defaults: detector every minute, no webhook, audit kept 90 days, detector blocks last a day', () => {
    expect(loadConfig({})).toMatchObject({ threatDetectionInterval: 60, auditRetention: 90 * 86_400, ipBlockDuration: 86_400 });
    expect(loadConfig({}).threatWebhookUrl).toBeUndefined();
  });

  it('reads durations, 0 or off for no detector, and an http(s) webhook', () => {
    expect(loadConfig({ THREAT_DETECTION_INTERVAL: 'PT30S', AUDIT_RETENTION: 'P365D', IP_BLOCK_DURATION: 'PT1H', THREAT_WEBHOOK_URL: 'https://alerts.example/castellan' }))
      .toMatchObject({ threatDetectionInterval: 30, auditRetention: 365 * 86_400, ipBlockDuration: 3_600, threatWebhookUrl: 'https://alerts.example/castellan' });
    expect(loadConfig({ THREAT_DETECTION_INTERVAL: '0' }).threatDetectionInterval).toBe(0);
    expect(loadConfig({ THREAT_DETECTION_INTERVAL: 'off' }).threatDetectionInterval).toBe(0);
  });

  it.each([
    [{ THREAT_DETECTION_INTERVAL: '1m' }, 'THREAT_DETECTION_INTERVAL="1m" is not valid: expected an ISO 8601 duration such as PT1M, or 0 to turn the detector off'],
    [{ AUDIT_RETENTION: '0' }, 'AUDIT_RETENTION="0" is not valid: expected an ISO 8601 duration such as P90D'],
    [{ IP_BLOCK_DURATION: 'forever' }, 'IP_BLOCK_DURATION="forever" is not valid: expected an ISO 8601 duration such as P1D'],
    [{ THREAT_WEBHOOK_URL: 'ftp://alerts.example/' }, 'THREAT_WEBHOOK_URL="ftp://alerts.example/" is not valid: expected an http(s) URL without credentials or fragment'],
    [{ THREAT_WEBHOOK_URL: 'https://user:pw@alerts.example/' }, 'THREAT_WEBHOOK_URL="https://user:pw@alerts.example/" is not valid: expected an http(s) URL without credentials or fragment'],
    [{ CASTELLAN_PRODUCTION: 'true', ISSUER: 'https://id.example', THREAT_WEBHOOK_URL: 'http://alerts.internal/hook' }, 'THREAT_WEBHOOK_URL must be https when CASTELLAN_PRODUCTION=true'],
  ])('reports %j', (env, message) => {
    expect(configProblems(env)).toContain(message);
  });
});
