/**
 * A served Castellan (a real listener, so requests overlap) with a client_credentials client, and
 * the measurements every fault test makes: how long an answer took, its status and Retry-After.
 */
import { createServer, type Server } from 'node:http';
import { createClient } from '../../src/clients/client-service.js';
import type { Config } from '../../src/config/config.js';
import { createApp } from '../../src/server/app.js';
import { createTestContext, type TestContext } from './test-context.js';

export const FAULT_SECRET = 'fault-test-secret-0123456789abcdef0123';

export interface Timed {
  status: number;
  ms: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

export interface FaultRig {
  ctx: TestContext;
  base: string;
  token(): Promise<Timed>;
  discovery(): Promise<Timed>;
  introspect(token: string): Promise<Timed>;
  close(): Promise<void>;
}

async function timed(url: string, init?: RequestInit): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(url, init);
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, ms: Math.round(performance.now() - started), retryAfter: response.headers.get('retry-after'), body };
}

export async function startFaultRig(overrides: Partial<Config>, options: Parameters<typeof createTestContext>[1] = {}): Promise<FaultRig> {
  const ctx = await createTestContext({ rateLimitEnabled: false, threatDetectionInterval: 0, ...overrides }, { wallClock: true, ...options });
  await createClient(ctx, { client_id: 'svc', client_secret: FAULT_SECRET, grant_types: ['client_credentials'] });
  const server: Server = createServer(createApp(ctx));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const authorization = `Basic ${Buffer.from(`svc:${FAULT_SECRET}`).toString('base64')}`;
  const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  return {
    ctx,
    base,
    token: () => timed(`${base}/token`, form({ grant_type: 'client_credentials' })),
    discovery: () => timed(`${base}/.well-known/openid-configuration`),
    introspect: (token) => timed(`${base}/introspect`, form({ token })),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ctx.close();
    },
  };
}
