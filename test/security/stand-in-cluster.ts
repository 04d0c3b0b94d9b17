/**
 * A primary and one worker joined by a stand-in for node:cluster's IPC channel: each message is
 * serialised as JSON (as the channel does) and delivered on a later turn, in order. `sent` counts the
 * messages the worker sent; `silence()` makes the primary stop hearing them.
 */
import { EventEmitter } from 'node:events';
import type { PrimaryChannel, WorkerMessages } from '../../src/security/cluster-limit-store.js';
import type { PrimaryLink } from '../../src/security/counter-reset.js';

export function standInCluster(primary = new EventEmitter()) {
  const inbox = new EventEmitter();
  let deaf = false;
  const wire = (message: unknown) => JSON.parse(JSON.stringify(message)) as unknown;
  const worker = { send: (message: unknown) => setImmediate(() => inbox.emit('message', wire(message))), isConnected: () => true };
  const sent: unknown[] = [];
  const toPrimary = (message: unknown) => {
    sent.push(message);
    if (!deaf) setImmediate(() => primary.emit('message', worker, wire(message)));
    return true;
  };
  const channel: PrimaryChannel = {
    send: (message, _handle, _options, callback) => {
      const accepted = toPrimary(message);
      callback?.(null);
      return accepted;
    },
    on: (event, listener) => inbox.on(event, listener),
  };
  const link: PrimaryLink = { send: toPrimary, on: (event, listener) => inbox.on(event, listener), off: (event, listener) => inbox.off(event, listener) };
  return { primary: primary as unknown as WorkerMessages & EventEmitter, channel, link, sent, silence: () => { deaf = true; } };
}
