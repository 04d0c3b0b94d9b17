/**
 * The primary's connection handoff (WORKERS above 1). A worker killed between receiving a
 * connection and confirming it must not leave the client waiting on a connection nobody serves
 * (node:cluster's round robin does: its primary keeps the unacknowledged handle forever).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionDispatcher, type HandoffMessage, type HandoffTarget } from '../../src/server/connection-dispatcher.js';

const fixture = fileURLToPath(new URL('./fixtures/handoff-worker.mjs', import.meta.url));
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A real child process on the other end of an IPC channel, as node:cluster's Worker is. */
async function childWorker(id: number, confirm: boolean): Promise<HandoffTarget & { child: ChildProcess; messages: unknown[] }> {
  const child = fork(fixture, [], { env: { ...process.env, CONFIRM: confirm ? '1' : '0' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  cleanup.push(() => child.kill('SIGKILL'));
  const messages: unknown[] = [];
  await new Promise<void>((resolve) => child.on('message', (message: { ready?: boolean }) => {
    messages.push(message);
    if (message.ready) resolve();
  }));
  return { id, child, messages, send: (message, socket, options, callback) => child.send(message, socket, options, callback) };
}

async function dispatcherOnFreePort(): Promise<{ dispatcher: ConnectionDispatcher; port: number }> {
  const dispatcher = new ConnectionDispatcher();
  cleanup.push(() => dispatcher.close());
  const port = await dispatcher.listen('app', 0);
  return { dispatcher, port };
}

/** Resolves with what the client read once the server side ended the connection, or 'open' if it is still open after `ms`. */
function outcome(socket: Socket, ms: number): Promise<string> {
  let received = '';
  socket.on('data', (chunk) => { received += chunk; });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('open'), ms);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(`closed:${received}`);
    });
  });
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('connection handoff from the primary to its workers', () => {
  it('a confirmed connection lives on in the worker after the primary closes its copy', async () => {
    const { dispatcher, port } = await dispatcherOnFreePort();
    const worker = await childWorker(1, true);
    worker.child.on('message', (message) => dispatcher.confirmed(worker, message));
    dispatcher.add(worker);
    expect(await outcome(connect(port, '127.0.0.1'), 5_000)).toBe('closed:hello');
  });

  it('a worker killed before confirming: the client sees its connection end instead of waiting forever', async () => {
    const { dispatcher, port } = await dispatcherOnFreePort();
    const worker = await childWorker(1, false);
    dispatcher.add(worker);
    const client = connect(port, '127.0.0.1');
    const ended = outcome(client, 3_000);
    // The worker holds the descriptor and never confirms; then it dies as a kill -9 ends it.
    await until(() => worker.messages.some((message) => (message as { holding?: number }).holding !== undefined));
    const exited = new Promise((resolve) => worker.child.once('exit', resolve));
    worker.child.kill('SIGKILL');
    await exited;
    dispatcher.forget(worker);
    expect(await ended).toBe('closed:');
  });

  it('hands connections to the ready workers in turn, and a connection that finds none waits for the first', async () => {
    const { dispatcher, port } = await dispatcherOnFreePort();
    const seen: number[] = [];
    const target = (id: number): HandoffTarget => ({
      id,
      send: (message: HandoffMessage, _socket, _options, callback) => {
        seen.push(id);
        dispatcher.confirmed(target(id), { channel: 'castellan:connection', received: (message as { id: number }).id });
        callback(null);
        return true;
      },
    });
    const early = connect(port, '127.0.0.1');
    const earlyEnd = outcome(early, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual([]);
    const [one, two] = [target(1), target(2)];
    dispatcher.add(one);
    dispatcher.add(two);
    for (let i = 0; i < 3; i++) outcome(connect(port, '127.0.0.1'), 2_000);
    await until(() => seen.length === 4);
    expect(seen[0]).toBe(1);
    // Then each in turn, whichever's turn it was.
    expect(new Set(seen.slice(1))).toEqual(new Set([1, 2]));
    expect(seen[1]).not.toBe(seen[2]);
    expect(seen[2]).not.toBe(seen[3]);
    // The fake worker holds nothing: the primary's copy was the last one, so the client sees the end.
    expect(await earlyEnd).toBe('closed:');
  });

  it('a worker whose channel has closed is skipped and the connection goes to the next one', async () => {
    const { dispatcher, port } = await dispatcherOnFreePort();
    const seen: number[] = [];
    const closed: HandoffTarget = { id: 1, send: (_m, _s, _o, callback) => { seen.push(1); callback(new Error('channel closed')); return false; } };
    const open: HandoffTarget = { id: 2, send: (_m, _s, _o, callback) => { seen.push(2); callback(null); return true; } };
    dispatcher.add(closed);
    dispatcher.add(open);
    outcome(connect(port, '127.0.0.1'), 1_000);
    outcome(connect(port, '127.0.0.1'), 1_000);
    await until(() => seen.length === 3);
    expect(seen).toEqual([1, 2, 2]);
  });
});
