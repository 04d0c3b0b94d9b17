/**
 * A relying party's back-channel logout endpoint for tests: a real HTTP server on 127.0.0.1 that
 * records every request and answers with the status (and headers) a test chooses.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RpServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  received: ReceivedRequest[];
  /** What the next requests are answered with (default 200). */
  respond: (request: ReceivedRequest) => { status: number; headers?: Record<string, string> };
  /** Resolves once `count` requests arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startRpServer(): Promise<RpServer> {
  const server: Server = createServer();
  const rp: RpServer = {
    origin: '',
    received: [],
    respond: () => ({ status: 200 }),
    async waitFor(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (rp.received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} requests at the RP, got ${rp.received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return rp.received;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      rp.received.push(request);
      const answer = rp.respond(request);
      // BCL §2.8: the RP's answer carries Cache-Control: no-store.
      res.writeHead(answer.status, { 'cache-control': 'no-store', ...answer.headers });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rp.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return rp;
}

/** The logout_token of a received form POST. */
export function logoutTokenOf(request: ReceivedRequest): string {
  const token = new URLSearchParams(request.body).get('logout_token');
  if (!token) throw new Error(`no logout_token in ${request.body}`);
  return token;
}
