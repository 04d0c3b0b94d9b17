/**
 * A real Castellan listening on an ephemeral loopback port, for whole flows driven by RP libraries
 * and browsers. The issuer is the server's own address.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../src/config/config.js';
import { createApp } from '../../src/server/app.js';
import { createTestContext, type TestContext } from './test-context.js';

export interface RunningServer {
  ctx: TestContext;
  server: Server;
  issuer: string;
  close(): Promise<void>;
}

export async function startTestServer(overrides: Partial<Config> = {}): Promise<RunningServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ctx = await createTestContext({ issuer, ...overrides }, { wallClock: true });
  server.on('request', createApp(ctx));
  return {
    ctx,
    server,
    issuer,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ctx.close();
    },
  };
}
