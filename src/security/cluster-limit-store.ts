/**
 * Rate-limit and login-throttle counters of a node that runs workers: every counter lives in the
 * primary, in rate-limiter-flexible's RateLimiterMemory, so N workers together admit exactly what
 * one process would. Workers reach it over node:cluster's IPC channel.
 *
 * Why not the library's RateLimiterCluster: it sends one IPC message per operation and waits for
 * one answer, arms a timer per operation, and adds a message listener per limiter. Measured with
 * two workers on introspection, that was about 40 µs of the primary's CPU per request, a quarter of
 * the request's own cost. Here every operation a worker makes in one turn of its event loop travels
 * in one message, and their answers come back in one; the primary still counts each operation in
 * order, one after the other, so the limits stay exact.
 * @spec https://nodejs.org/api/cluster.html#workersendmessage-sendhandle-options-callback
 * @spec https://github.com/animir/node-rate-limiter-flexible/wiki/Cluster
 */
import cluster, { type Worker } from 'node:cluster';
import { inNamespace } from './counter-reset.js';
import { RateLimiterCompatibleAbstract, RateLimiterMemory, RateLimiterRes, type IRateLimiterOptions } from 'rate-limiter-flexible';

const CHANNEL = 'castellan:limits';

type Operation = 'consume' | 'penalty' | 'reward' | 'block' | 'get' | 'delete';
/** What a limiter is: the primary makes its RateLimiterMemory from it on first sight. */
type LimiterRule = Pick<IRateLimiterOptions, 'keyPrefix' | 'points' | 'duration' | 'blockDuration'>;
/** One operation: id, limiter, operation, key, its number (points or seconds). */
type Call = [id: number, keyPrefix: string, operation: Operation, key: string, amount: number | undefined];
/** remainingPoints, msBeforeNext, consumedPoints, isFirstInDuration. */
type EncodedRes = [number, number, number, boolean];
/** How it ended: `ok` (resolved), `refused` (the library's rejection with a RateLimiterRes), `error`. */
type Answer = [id: number, outcome: 'ok' | 'refused' | 'error', value: EncodedRes | boolean | null | string];

interface LimitMessage {
  channel: typeof CHANNEL;
  define?: LimiterRule;
  calls?: Call[];
  answers?: Answer[];
}

const isLimitMessage = (message: unknown): message is LimitMessage => (message as Partial<LimitMessage> | null)?.channel === CHANNEL;

const encode = (res: RateLimiterRes): EncodedRes => [res.remainingPoints, res.msBeforeNext, res.consumedPoints, res.isFirstInDuration];
const decode = ([remaining, msBeforeNext, consumed, first]: EncodedRes) => new RateLimiterRes(remaining, msBeforeNext, consumed, first);

function perform(limiter: RateLimiterMemory, [, , operation, key, amount]: Call): Promise<RateLimiterRes | boolean | null> {
  switch (operation) {
    case 'consume': return limiter.consume(key, amount);
    case 'penalty': return limiter.penalty(key, amount);
    case 'reward': return limiter.reward(key, amount);
    case 'block': return limiter.block(key, amount ?? 0);
    case 'get': return limiter.get(key);
    case 'delete': return limiter.delete(key);
  }
}

/** One operation counted by the primary's limiter, in the order the worker sent it. */
async function answerCall(limiters: Map<string, RateLimiterMemory>, call: Call): Promise<Answer> {
  const limiter = limiters.get(call[1]);
  if (limiter === undefined) return [call[0], 'error', `no limiter ${call[1]} in the primary`];
  try {
    const value = await perform(limiter, call);
    return [call[0], 'ok', value instanceof RateLimiterRes ? encode(value) : value];
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return [call[0], 'refused', encode(rejection)];
    return [call[0], 'error', rejection instanceof Error ? rejection.message : String(rejection)];
  }
}

export interface PrimaryLimitStore {
  /** The limiters under `namespace` (`castellan`: prefixes `castellan:...`), for the test control API's reset. */
  limitersIn(namespace: string): RateLimiterMemory[];
  stop(): void;
}

/** A worker as the primary answers it. */
type WorkerEnd = Pick<Worker, 'send' | 'isConnected'>;
type WorkerListener = (worker: WorkerEnd, message: unknown) => void;

/** The workers as the primary hears them (node:cluster; a stand-in in tests). */
export interface WorkerMessages {
  on(event: 'message', listener: WorkerListener): unknown;
  off(event: 'message', listener: WorkerListener): unknown;
}

/** In the primary, before the first fork: keeps the counters and answers each worker's batch in one message. */
export function startPrimaryLimitStore(from: WorkerMessages = cluster as unknown as WorkerMessages): PrimaryLimitStore {
  const limiters = new Map<string, RateLimiterMemory>();
  const listener: WorkerListener = (worker, message) => {
    if (!isLimitMessage(message)) return;
    // A worker that replaces a dead one defines the same limiters again: the first definition stays.
    if (message.define && !limiters.has(message.define.keyPrefix ?? '')) limiters.set(message.define.keyPrefix ?? '', new RateLimiterMemory(message.define));
    if (!message.calls) return;
    // Each call counts synchronously inside its limiter before the next starts: exact in arrival order.
    void Promise.all(message.calls.map((call) => answerCall(limiters, call))).then((answers) => {
      // A worker gone meanwhile fails its calls by its own timer; a closed channel is no error here.
      if (worker.isConnected()) worker.send({ channel: CHANNEL, answers } satisfies LimitMessage, undefined, {}, () => undefined);
    });
  };
  from.on('message', listener);
  return {
    limitersIn: (namespace) => [...limiters].filter(([prefix]) => inNamespace(prefix, namespace)).map(([, limiter]) => limiter),
    stop: () => from.off('message', listener),
  };
}

/** A worker's IPC channel to its primary (the process itself; a stand-in in tests). */
export interface PrimaryChannel {
  send?(message: unknown, sendHandle?: undefined, options?: object, callback?: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

interface Waiting {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  batch: { left: number; timer?: NodeJS.Timeout };
}

/** The worker's end: queues this turn's calls, sends them as one batch, and settles each from the answers. */
class BatchingLink {
  private nextId = 0;
  private queued: Call[] = [];
  private readonly waiting = new Map<number, Waiting>();

  constructor(private readonly channel: PrimaryChannel, private readonly timeoutMs: number) {
    channel.on('message', (message) => {
      if (isLimitMessage(message) && message.answers) this.settle(message.answers);
    });
  }

  define(rule: LimiterRule): void {
    // Messages on one channel arrive in order, so the definition is there before any call of it.
    // A closed channel fails the calls that follow (flush); the definition itself has nothing to fail.
    this.channel.send?.({ channel: CHANNEL, define: rule } satisfies LimitMessage, undefined, {}, () => undefined);
  }

  call(keyPrefix: string, operation: Operation, key: string, amount?: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = ++this.nextId;
      this.waiting.set(id, { resolve, reject, batch: { left: 0 } });
      this.queued.push([id, keyPrefix, operation, key, amount]);
      // After this turn's I/O callbacks: every request read in the same turn shares the message.
      if (this.queued.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const calls = this.queued;
    this.queued = [];
    const batch: Waiting['batch'] = { left: calls.length };
    for (const [id] of calls) {
      const entry = this.waiting.get(id);
      if (entry) entry.batch = batch;
    }
    const fail = (reason: Error) => calls.forEach(([id]) => this.finish(id)?.reject(reason));
    if (!this.channel.send) return fail(new Error('no primary to count rate limits in: this process is not a worker'));
    // A primary that does not answer in time fails these calls; the request then is not limited (rate-limit-middleware.ts).
    batch.timer = setTimeout(() => fail(new Error('the primary did not answer a rate-limit call in time')), this.timeoutMs);
    batch.timer.unref();
    this.channel.send({ channel: CHANNEL, calls } satisfies LimitMessage, undefined, {}, (error) => {
      if (error) fail(error);
    });
  }

  private finish(id: number): Waiting | undefined {
    const entry = this.waiting.get(id);
    if (!entry) return undefined;
    this.waiting.delete(id);
    entry.batch.left -= 1;
    if (entry.batch.left === 0) clearTimeout(entry.batch.timer);
    return entry;
  }

  private settle(answers: Answer[]): void {
    for (const [id, outcome, value] of answers) {
      const entry = this.finish(id);
      if (!entry) continue;
      const res = Array.isArray(value) ? decode(value) : value;
      if (outcome === 'ok') entry.resolve(res);
      else if (outcome === 'refused') entry.reject(res);
      else entry.reject(new Error(String(value)));
    }
  }
}

let processLink: BatchingLink | undefined;

/**
 * A limiter whose counters live in the primary; every limiter of the worker shares one link. It is
 * "compatible" in the library's sense, so a Redis limiter takes it as its insurance limiter.
 */
export class PrimaryCountedLimiter extends RateLimiterCompatibleAbstract {
  private readonly link: BatchingLink;
  // Own fields (class fields are defined on the instance), in place of the base class's throwing accessors.
  override readonly keyPrefix: string;
  /** The primary's limiter keeps the rule it was defined with; an insured limiter sets the same values here. */
  override blockDuration: number;
  override execEvenly = false;

  constructor(options: LimiterRule, timeoutMs: number, channel?: PrimaryChannel) {
    super();
    this.keyPrefix = options.keyPrefix ?? '';
    this.blockDuration = options.blockDuration ?? 0;
    this.link = channel ? new BatchingLink(channel, timeoutMs) : (processLink ??= new BatchingLink(process, timeoutMs));
    this.link.define({ keyPrefix: this.keyPrefix, points: options.points, duration: options.duration, blockDuration: this.blockDuration });
  }

  override consume(key: string | number, points = 1) { return this.call<RateLimiterRes>('consume', key, points); }
  override penalty(key: string | number, points = 1) { return this.call<RateLimiterRes>('penalty', key, points); }
  override reward(key: string | number, points = 1) { return this.call<RateLimiterRes>('reward', key, points); }
  override block(key: string | number, secDuration: number) { return this.call<RateLimiterRes>('block', key, secDuration); }
  override get(key: string | number) { return this.call<RateLimiterRes | null>('get', key); }
  override delete(key: string | number) { return this.call<boolean>('delete', key); }

  private call<T>(operation: Operation, key: string | number, amount?: number): Promise<T> {
    return this.link.call(this.keyPrefix, operation, String(key), amount) as Promise<T>;
  }
}
