/**
 * The worker's side of connection handoff (connection-dispatcher.ts is the primary's): the
 * worker's http or https server never binds a port; it serves the connections the primary hands
 * over, and tells the primary once it holds each one. It also knows when its last connection has
 * ended, which is when a draining worker may exit.
 * @spec https://nodejs.org/api/child_process.html#example-sending-a-socket-object
 * @spec https://nodejs.org/api/http.html#event-connection (a connection given to the server by hand)
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { HANDOFF_CHANNEL, type HandoffMessage, type ListenerName } from './connection-dispatcher.js';

export interface ConnectionReceiver {
  /** Connections this worker serves now. */
  readonly open: number;
  /** Resolves when no connection is left (at once if none is open). */
  whenIdle(): Promise<void>;
  /** Cuts every connection still open (the end of a drain's grace). */
  destroyAll(): void;
}

export function receiveConnections(servers: Partial<Record<ListenerName, HttpServer | HttpsServer>>): ConnectionReceiver {
  for (const server of Object.values(servers)) {
    // http.Server starts tracking its connections (closeIdleConnections, the header and request
    // timeouts) on 'listening', which a server that never binds does not otherwise emit.
    server?.emit('listening');
  }
  const sockets = new Set<Socket>();
  const idle: (() => void)[] = [];
  const onMessage = (message: unknown, socket?: Socket) => {
    const handoff = message as Partial<Extract<HandoffMessage, { listener: ListenerName }>> | null;
    if (handoff?.channel !== HANDOFF_CHANNEL || handoff.listener === undefined || typeof handoff.id !== 'number' || !socket) return;
    const server = servers[handoff.listener];
    process.send?.({ channel: HANDOFF_CHANNEL, received: handoff.id } satisfies HandoffMessage);
    if (!server) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const resolve of idle.splice(0)) resolve();
    });
    server.emit('connection', socket);
    // The primary accepted it paused (it never reads): reading starts here.
    socket.resume();
  };
  process.on('message', onMessage);
  return {
    get open() {
      return sockets.size;
    },
    whenIdle() {
      if (sockets.size === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
    destroyAll() {
      for (const socket of sockets) socket.destroy();
    },
  };
}
