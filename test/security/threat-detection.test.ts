/**
 * Threat detection over the audit log: 20 failed authentications from one address within 10 minutes
 * block it (403 at every endpoint, audited); a client seen from 10 addresses with 100 requests within
 * an hour is flagged (audited, and POSTed to the webhook). Each finding is recorded once.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.3)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { audit } from '../../src/security/audit.js';
import { unblockIp } from '../../src/security/ip-blocklist.js';
import { detectThreats, DISTRIBUTED_CLIENT, FAILED_AUTH, startThreatDetection } from '../../src/security/threat-detection.js';
import { WEBHOOK_USER_AGENT } from '../../src/security/threat-webhook.js';
import { createApp } from '../../src/server/app.js';
import type { Context } from '../../src/server/context.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { registerClient } from '../support/browser-flow.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic, postToken, SECRET } from '../support/token-fixtures.js';
import { EVERY_ENDPOINT } from './every-endpoint.js';
import { LoginClient, TRUST_LOOPBACK } from './login-client.js';
import { sharedDatabase } from './shared-database.js';

/** A receiver for the webhook on 127.0.0.1 that keeps every POSTed body. */
async function webhookReceiver(): Promise<{ url: string; bodies: Record<string, unknown>[]; agents: string[]; close(): Promise<void> }> {
  const bodies: Record<string, unknown>[] = [];
  const agents: string[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.headers['content-type'] === 'application/json') {
        bodies.push(JSON.parse(text));
        agents.push(req.headers['user-agent'] ?? '');
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, agents, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Failures written as the login page writes them (for window arithmetic without many logins). */
async function failures(ctx: Context, ip: string, count: number, type = 'login.failed'): Promise<void> {
  for (let i = 0; i < count; i += 1) await audit(ctx, undefined, { type, ip });
}

async function tokenRequests(ctx: Context, clientId: string, ips: number, perIp: number): Promise<void> {
  for (let i = 0; i < ips; i += 1) for (let j = 0; j < perIp; j += 1) await audit(ctx, undefined, { type: 'token.issued', clientId, ip: `10.9.${i}.1` });
}

describe(`threat detection (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  let client: ClientRecord;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;

  beforeAll(async () => {
    hook = await webhookReceiver();
    ctx = await createTestContext({ ...TRUST_LOOPBACK, threatWebhookUrl: hook.url, rateLimitToken: { points: 10_000, duration: 60 } });
    app = createApp(ctx);
    client = await registerClient(ctx);
    await createClient(ctx, { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'] });
  });
  afterAll(async () => {
    await ctx.close();
    await hook.close();
  });

  /** `count` failed logins through the login page, each with another username (no per-username delay). */
  async function failedLogins(ip: string, count: number): Promise<void> {
    const browser = await new LoginClient(ctx, client, ip).open();
    for (let i = 0; i < count; i += 1) expect((await browser.login(`nobody-${ip}-${i}`, 'a guessed password')).status).toBe(401);
  }

  describe('failed authentications per address', () => {
    it(`MUST block an address after ${FAILED_AUTH.threshold} failed logins within ${FAILED_AUTH.window / 60} minutes, at every endpoint, with audit events`, async () => {
      await failedLogins('198.51.100.20', 20);
      const findings = await detectThreats(ctx);
      expect(findings).toEqual([expect.objectContaining({ type: 'threat.ip_blocked', subject: '198.51.100.20' })]);
      const [event] = await ctx.stores.audit.list({ type: 'threat.ip_blocked', ip: '198.51.100.20' });
      expect(event.details).toMatchObject({ failures: 20, window_seconds: 600, expires_at: ctx.clock() + ctx.config.ipBlockDuration });
      for (const [name, send] of EVERY_ENDPOINT) expect((await send(app, '198.51.100.20')).status, name).toBe(403);
      await vi.waitFor(async () => expect(await ctx.stores.audit.list({ type: 'ip.request_blocked', ip: '198.51.100.20' })).toHaveLength(1));
      expect((await EVERY_ENDPOINT[0][1](app, '198.51.100.21')).status).toBe(200);
    });

    it(`MUST NOT block an address with ${FAILED_AUTH.threshold - 1} failed logins`, async () => {
      await failedLogins('198.51.100.19', 19);
      expect(await detectThreats(ctx)).toEqual([]);
      expect((await EVERY_ENDPOINT[0][1](app, '198.51.100.19')).status).toBe(200);
      expect(await ctx.stores.ipBlocks.listActive(ctx.clock())).not.toContainEqual(expect.objectContaining({ ip: '198.51.100.19' }));
    });

    it('MUST count failed client authentication and failed second factors with failed passwords', async () => {
      await failures(ctx, '203.0.113.30', 8);
      await failures(ctx, '203.0.113.30', 6, 'mfa.failed');
      for (let i = 0; i < 6; i += 1) {
        expect((await postToken(app, { grant_type: 'client_credentials' }, { authorization: basic('svc', `guess-${i}-of-a-secret-of-32-characters`), 'x-forwarded-for': '203.0.113.30' })).status).toBe(401);
      }
      expect((await detectThreats(ctx)).map((f) => f.subject)).toEqual(['203.0.113.30']);
    });

    it('MUST count only failures within the window', async () => {
      await failures(ctx, '203.0.113.31', 10);
      ctx.clock.advance(FAILED_AUTH.window + 1);
      await failures(ctx, '203.0.113.31', 19);
      expect(await detectThreats(ctx)).toEqual([]);
      await failures(ctx, '203.0.113.31', 1);
      expect((await detectThreats(ctx)).map((f) => f.subject)).toEqual(['203.0.113.31']);
    });

    it('MUST NOT block again from failures that came before an operator lifted the block', async () => {
      await failures(ctx, '203.0.113.32', 25);
      expect((await detectThreats(ctx)).map((f) => f.subject)).toEqual(['203.0.113.32']);
      expect(await unblockIp(ctx, '203.0.113.32')).toBe(true);
      expect(await detectThreats(ctx)).toEqual([]);
      await failures(ctx, '203.0.113.32', 20);
      expect((await detectThreats(ctx)).map((f) => f.subject)).toEqual(['203.0.113.32']);
    });

    it('MUST NOT block loopback or a trusted proxy (that would cut off every client behind it)', async () => {
      await failures(ctx, '127.0.0.1', 25);
      await failures(ctx, '::1', 25);
      expect(await detectThreats(ctx)).toEqual([]);
      expect(await ctx.stores.ipBlocks.listActive(ctx.clock())).not.toContainEqual(expect.objectContaining({ ip: '127.0.0.1' }));
    });

    it('MUST lift a detector block after IP_BLOCK_DURATION', async () => {
      await failures(ctx, '203.0.113.33', 20);
      await detectThreats(ctx);
      expect((await EVERY_ENDPOINT[0][1](app, '203.0.113.33')).status).toBe(403);
      ctx.clock.advance(ctx.config.ipBlockDuration);
      expect((await EVERY_ENDPOINT[0][1](app, '203.0.113.33')).status).toBe(200);
    });
  });

  describe('a client used from many addresses', () => {
    it(`MUST flag a client with ${DISTRIBUTED_CLIENT.minimumRequests} token requests from ${DISTRIBUTED_CLIENT.minimumIps} addresses within an hour, audit it and POST it to the webhook`, async () => {
      hook.bodies.length = 0;
      for (let i = 0; i < 10; i += 1) {
        for (let j = 0; j < 10; j += 1) {
          expect((await postToken(app, { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), 'x-forwarded-for': `192.0.2.${100 + i}` })).status).toBe(200);
        }
      }
      const findings = await detectThreats(ctx);
      expect(findings).toEqual([expect.objectContaining({ type: 'threat.client_flagged', subject: 'svc', details: { addresses: 10, requests: 100, window_seconds: 3600 } })]);
      expect(await ctx.stores.audit.list({ type: 'threat.client_flagged', clientId: 'svc' })).toHaveLength(1);
      expect(hook.bodies).toEqual([{ issuer: ctx.config.issuer, type: 'threat.client_flagged', subject: 'svc', at: expect.any(String), details: { addresses: 10, requests: 100, window_seconds: 3600 } }]);
      expect(hook.agents).toContain(WEBHOOK_USER_AGENT);
      // Flagged once per window: a busy client is not reported on every run.
      await tokenRequests(ctx, 'svc', 10, 10);
      expect(await detectThreats(ctx)).toEqual([]);
      expect(hook.bodies).toHaveLength(1);
    });

    it.each([
      ['9 addresses, 108 requests', 9, 12],
      ['10 addresses, 90 requests', 10, 9],
    ])('MUST NOT flag a client with %s', async (_name, ips, perIp) => {
      await createClient(ctx, { client_id: `quiet-${ips}`, client_secret: SECRET, grant_types: ['client_credentials'] });
      await tokenRequests(ctx, `quiet-${ips}`, ips, perIp);
      expect((await detectThreats(ctx)).filter((f) => f.subject === `quiet-${ips}`)).toEqual([]);
    });

    it('MUST count only the last hour', async () => {
      await tokenRequests(ctx, 'hourly', 10, 5);
      ctx.clock.advance(DISTRIBUTED_CLIENT.window + 1);
      await tokenRequests(ctx, 'hourly', 10, 5);
      expect((await detectThreats(ctx)).filter((f) => f.subject === 'hourly')).toEqual([]);
    });
  });

  it('MUST post a blocked address to the webhook too, and survive a webhook that is down', async () => {
    hook.bodies.length = 0;
    await failures(ctx, '203.0.113.40', 20);
    await detectThreats(ctx);
    expect(hook.bodies).toEqual([expect.objectContaining({ type: 'threat.ip_blocked', subject: '203.0.113.40', details: expect.objectContaining({ failures: 20 }) })]);
    const down = { ...ctx, config: { ...ctx.config, threatWebhookUrl: 'http://127.0.0.1:9/hook' } };
    await failures(ctx, '203.0.113.41', 20);
    expect((await detectThreats(down)).map((f) => f.subject)).toEqual(['203.0.113.41']);
  });

  it('MUST run on THREAT_DETECTION_INTERVAL once started, and stop', async () => {
    const timed = { ...ctx, config: { ...ctx.config, threatDetectionInterval: 1 } };
    await failures(ctx, '203.0.113.50', 20);
    const stop = startThreatDetection(timed);
    try {
      await vi.waitFor(async () => expect(await ctx.stores.audit.list({ type: 'threat.ip_blocked', ip: '203.0.113.50' })).toHaveLength(1), { timeout: 5_000, interval: 200 });
    } finally {
      await stop();
    }
  });
});

describe(`threat detection on several nodes at once (${backendName})`, () => {
  it('MUST record each finding once, with one audit event, when two nodes run the detector', async () => {
    const shared = await sharedDatabase(2);
    try {
      const [a, b] = shared.nodes;
      await failures(a, '198.51.100.200', 20);
      await tokenRequests(a, 'shared-client', 10, 10);
      // PostgreSQL nodes race for real; SQLite is one node's embedded store (better-sqlite3 waits for a
      // lock synchronously, so two connections in one process cannot interleave): there the second runs after.
      const [fromA, fromB] = backendName === 'postgres' ? await Promise.all([detectThreats(a), detectThreats(b)]) : [await detectThreats(a), await detectThreats(b)];
      expect([...fromA, ...fromB].map((f) => f.subject).sort()).toEqual(['198.51.100.200', 'shared-client']);
      expect(await a.stores.audit.list({ types: ['threat.ip_blocked', 'threat.client_flagged'] })).toHaveLength(2);
      expect(await a.stores.findings.list({})).toHaveLength(2);
    } finally {
      await shared.close();
    }
  });
});
