/**
 * The write side of the inspector: traces wait in a bounded in-memory queue and are appended in
 * batches shortly after, off the request's path. A full queue drops new traces (counted, logged
 * once per episode) and a failed write is logged and forgotten: recording never slows, blocks or
 * fails a request. One recorder per context, however many apps are built on it.
 */
import type { Context } from '../server/context.js';
import type { RequestTrace } from '../storage/request-trace-records.js';
import { hashHandle } from '../tokens/handles.js';

/** Traces waiting at most; beyond it new ones are dropped. */
export const QUEUE_LIMIT = 1_000;
/** Traces per append (one transaction). */
const BATCH_SIZE = 200;
/**
 * Milliseconds a trace waits, so a burst becomes one write. Long enough that a request racing a
 * locked SQLite database (one connection, writes take turns) is answered before the recorder
 * queues behind the lock too.
 */
const FLUSH_DELAY_MS = 1_000;
/** After a failed write the recorder waits this long, so a failing database is not kept busier. */
const BACKOFF_MS = 10_000;

/** A trace still to be attributed: an opaque bearer token's client is found by its hash. */
interface PendingTrace {
  trace: RequestTrace;
  bearerHash?: string;
}

export class TraceRecorder {
  private readonly queue: PendingTrace[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private dropped = 0;
  private pausedUntil = 0;

  constructor(private readonly ctx: Pick<Context, 'stores' | 'config' | 'logger'>) {}

  push(pending: PendingTrace): void {
    if (this.queue.length >= QUEUE_LIMIT) {
      if (this.dropped === 0) this.ctx.logger.warn({ queued: this.queue.length }, 'request inspector: queue full, dropping traces');
      this.dropped += 1;
      return;
    }
    this.queue.push(pending);
    if (this.timer === undefined && this.flushing === undefined) {
      this.timer = setTimeout(() => void this.flush(), Math.max(FLUSH_DELAY_MS, this.pausedUntil - Date.now()));
      this.timer.unref();
    }
  }

  /** Writes everything queued (up to the first failed write); tests and shutdown await it. Never rejects. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH_SIZE);
      try {
        const traces = await this.attribute(batch);
        await this.ctx.stores.requestTraces.append(traces, this.ctx.config.inspectorMaxPerClient);
        if (this.dropped > 0) this.ctx.logger.warn({ dropped: this.dropped }, 'request inspector: recording again after dropping traces');
        this.dropped = 0;
      } catch (error) {
        this.pausedUntil = Date.now() + BACKOFF_MS;
        this.ctx.logger.warn({ err: error, traces: batch.length }, 'request inspector: traces not recorded');
        // What is still queued waits for the pause to end.
        if (this.queue.length > 0) {
          this.timer = setTimeout(() => void this.flush(), BACKOFF_MS);
          this.timer.unref();
        }
        return;
      }
    }
  }

  /** Userinfo with an opaque token names no client: the token's row does. Unattributed traces are dropped. */
  private async attribute(batch: PendingTrace[]): Promise<RequestTrace[]> {
    const traces: RequestTrace[] = [];
    for (const { trace, bearerHash } of batch) {
      if (!trace.clientId && bearerHash) trace.clientId = (await this.ctx.stores.accessTokens.find(bearerHash))?.clientId ?? '';
      if (trace.clientId) traces.push(trace);
    }
    return traces;
  }
}

const recorders = new WeakMap<object, TraceRecorder>();

/** The context's recorder, made on first use; its queue is flushed when the context shuts down. */
export function recorderFor(ctx: Context): TraceRecorder {
  let recorder = recorders.get(ctx);
  if (!recorder) {
    const made = new TraceRecorder(ctx);
    recorders.set(ctx, made);
    ctx.shutdown.push(() => made.flush());
    recorder = made;
  }
  return recorder;
}

/** SHA-256 of an opaque bearer token (as access_tokens keys it), computed at once so the token is not kept. */
export function opaqueBearerHash(authorization: string | undefined): string | undefined {
  const match = authorization ? /^(?:bearer|dpop) +([^\s.]+)$/i.exec(authorization) : null;
  return match ? hashHandle(match[1]) : undefined;
}
