/**
 * The primary's side of connection handoff (WORKERS above 1): the primary binds PORT (and
 * HTTP_REDIRECT_PORT) itself, accepts each connection without reading from it, and hands it to
 * the next ready worker in turn (connection-receiver.ts is the worker's side).
 *
 * Why not node:cluster's own port sharing: its round robin keeps each connection in the primary
 * until the worker acknowledges it, and a worker killed in that instant (kill -9, out of memory)
 * never does. Node then neither closes the primary's copy nor passes it on (child_process keeps it
 * as the channel's unacknowledged handle), so the client waits on an open connection forever.
 * Here the primary keeps its copy (keepOpen) until the worker says it holds the connection, and
 * closes every copy a worker never confirmed when that worker goes away: its clients see the
 * connection end, like any other connection of a dead process, and retry.
 * @spec https://nodejs.org/api/child_process.html#subprocesssendmessage-sendhandle-options-callback
 * @spec https://nodejs.org/api/net.html#netcreateserveroptions-connectionlistener (pauseOnConnect)
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export const HANDOFF_CHANNEL = 'castellan:connection';
/** Which of the worker's servers a connection is for. */
export type ListenerName = 'app' | 'redirect';
export type HandoffMessage =
  | { channel: typeof HANDOFF_CHANNEL; listener: ListenerName; id: number }
  | { channel: typeof HANDOFF_CHANNEL; received: number };

/** What the dispatcher needs of a worker: node:cluster's Worker has all of it. */
export interface HandoffTarget {
  readonly id: number;
  send(message: HandoffMessage, socket: Socket, options: { keepOpen: boolean }, callback: (error: Error | null) => void): boolean;
}

/** Connections accepted while no worker is ready (at start, or all of them replaced at once) wait this long at most. */
const MAX_WAITING = 512;
const WAIT_MS = 10_000;

export class ConnectionDispatcher {
  private readonly servers: Server[] = [];
  private readonly ready: HandoffTarget[] = [];
  private turn = 0;
  private sequence = 0;
  /** Sockets handed to a worker that has not yet said it holds them, by worker id then handoff id. */
  private readonly unconfirmed = new Map<number, Map<number, Socket>>();
  private readonly waiting: { socket: Socket; listener: ListenerName; timer: NodeJS.Timeout }[] = [];

  /** Binds one port; resolves with the port actually bound. */
  listen(listener: ListenerName, port: number): Promise<number> {
    const server = createServer({ pauseOnConnect: true }, (socket) => this.dispatch(socket, listener));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // No host: all interfaces, IPv6 and IPv4 where available (as a single process binds).
      server.listen(port, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  /** A worker that listens: it takes its turn from now on, starting with any connection waiting. */
  add(worker: HandoffTarget): void {
    if (!this.ready.includes(worker)) this.ready.push(worker);
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      this.dispatch(entry.socket, entry.listener);
    }
  }

  /** A worker that drains or is gone gets no new connection. */
  remove(worker: HandoffTarget): void {
    const index = this.ready.indexOf(worker);
    if (index >= 0) this.ready.splice(index, 1);
  }

  /** The worker has exited: close the primary's copy of every connection it never confirmed. */
  forget(worker: HandoffTarget): void {
    this.remove(worker);
    for (const socket of this.unconfirmed.get(worker.id)?.values() ?? []) socket.destroy();
    this.unconfirmed.delete(worker.id);
  }

  /** The worker's message: it holds the connection now, so the primary's copy can go. */
  confirmed(worker: HandoffTarget, message: unknown): boolean {
    const received = (message as Partial<{ channel: string; received: number }> | null);
    if (received?.channel !== HANDOFF_CHANNEL || typeof received.received !== 'number') return false;
    const sockets = this.unconfirmed.get(worker.id);
    const socket = sockets?.get(received.received);
    sockets?.delete(received.received);
    // Closing this process's descriptor leaves the worker's open: the connection lives on there.
    socket?.destroy();
    return true;
  }

  /**
   * Stops accepting; connections still waiting for a worker are closed. Does not wait for the
   * connections handed out: the workers finish those, and forget() closes what a dead one left.
   */
  close(): void {
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      entry.socket.destroy();
    }
    for (const server of this.servers.splice(0)) server.close();
  }

  private dispatch(socket: Socket, listener: ListenerName): void {
    const worker = this.ready[this.turn++ % Math.max(1, this.ready.length)];
    if (!worker) {
      this.wait(socket, listener);
      return;
    }
    const id = ++this.sequence;
    const sockets = this.unconfirmed.get(worker.id) ?? new Map<number, Socket>();
    this.unconfirmed.set(worker.id, sockets);
    sockets.set(id, socket);
    worker.send({ channel: HANDOFF_CHANNEL, listener, id }, socket, { keepOpen: true }, (error) => {
      if (!error) return;
      // The channel is closed (the worker is going): the socket is still whole here, so another worker takes it.
      sockets.delete(id);
      this.remove(worker);
      this.dispatch(socket, listener);
    });
  }

  private wait(socket: Socket, listener: ListenerName): void {
    if (this.waiting.length >= MAX_WAITING) {
      socket.destroy();
      return;
    }
    const entry = { socket, listener, timer: setTimeout(() => {
      const index = this.waiting.indexOf(entry);
      if (index >= 0) this.waiting.splice(index, 1);
      socket.destroy();
    }, WAIT_MS) };
    entry.timer.unref();
    this.waiting.push(entry);
  }
}
