/**
 * A loopback TCP proxy that can stop forwarding without closing anything (a stalled database or
 * Redis: connections open, no answer) or refuse connections (a database that is down).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Stop forwarding in both directions; connections stay open, new ones are accepted and hang. */
  stall(): void;
  /** Forward again (data sent during the stall is dropped, as a dead network would). */
  resume(): Promise<void>;
  /** Close every connection and refuse new ones until resume(). */
  refuse(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: 'forward' | 'stall' | 'refuse' = 'forward';
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const pipe = (from: Socket, to: Socket) => from.on('data', (chunk) => {
    if (mode === 'forward') to.write(chunk);
  });
  let server: Server = createServer();
  const listen = (port: number) => new Promise<number>((resolve) => {
    server = createServer((client) => {
      track(client);
      if (mode === 'refuse') return client.destroy();
      const upstream = connect(targetPort, targetHost);
      track(upstream);
      pipe(client, upstream);
      pipe(upstream, client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  const port = await listen(0);
  const closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const destroyAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    stall: () => {
      mode = 'stall';
    },
    async resume() {
      if (mode === 'refuse') await listen(port);
      mode = 'forward';
    },
    async refuse() {
      mode = 'refuse';
      destroyAll();
      await closeServer();
    },
    async close() {
      destroyAll();
      if (server.listening) await closeServer();
    },
  };
}

/** `url` with its host and port replaced by the proxy's. */
export function viaProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return parsed.toString();
}
