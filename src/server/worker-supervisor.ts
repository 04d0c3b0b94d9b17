/**
 * Keeps WORKERS worker processes serving: starts them, replaces one that dies (with a backoff, so a
 * worker that crashes at start does not spin the machine), drains them all on stop, and replaces
 * them one at a time on a rolling restart without ever leaving the port without a listener. Knows
 * nothing of node:cluster: cluster-primary.ts gives it a `fork` function, the tests a fake one.
 */

export interface WorkerExit {
  code: number | null;
  signal: string | null;
}

export interface WorkerHandle {
  /** node:cluster's worker id: 1, 2, 3, ... in fork order, never reused. */
  readonly id: number;
  readonly pid?: number;
  /** Resolves once the worker listens; rejects if it exits first. */
  readonly ready: Promise<void>;
  /** Resolves when the process has ended. */
  readonly exited: Promise<WorkerExit>;
  /** Asks the worker to stop accepting, finish its requests and exit. */
  drain(): void;
  /** Ends the process at once (a drain that took too long). */
  kill(): void;
}

export interface SupervisorLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * Delay before replacing a worker that died. A worker that ran at least `stableMs` is replaced at
 * once (a kill -9, an out-of-memory end); each further death of a worker that lived less than that
 * doubles the delay from `baseMs` up to `maxMs`, and a stable run resets the count.
 */
export class RestartBackoff {
  private quickDeaths = 0;

  constructor(private readonly options: { baseMs: number; maxMs: number; stableMs: number } = { baseMs: 500, maxMs: 30_000, stableMs: 10_000 }) {}

  /** The delay for a worker that lived `livedMs`; counts this death. */
  next(livedMs: number): number {
    if (livedMs >= this.options.stableMs) this.quickDeaths = 0;
    this.quickDeaths += 1;
    if (this.quickDeaths === 1) return 0;
    return Math.min(this.options.maxMs, this.options.baseMs * 2 ** Math.min(this.quickDeaths - 2, 20));
  }
}

export interface SupervisorOptions {
  backoff?: RestartBackoff;
  /** How long a new worker may take to listen (migrations are done, so only its own start-up). */
  readyTimeoutMs?: number;
  /** How long a draining worker may take before it is killed; above the server's own 10 s grace. */
  drainTimeoutMs?: number;
  now?: () => number;
}

interface Tracked {
  handle: WorkerHandle;
  startedAt: number;
  /** Set when this supervisor asked it to stop: its exit is expected. */
  retiring: boolean;
  /**
   * Why it was forked. Until it listens, only a replacement is replaced when it dies: one of the
   * first workers failing fails start(), and a rolling restart's new worker failing ends the roll.
   */
  kind: 'initial' | 'standby' | 'replacement';
  listening: boolean;
}

const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  timer.unref?.();
  promise.then((value) => {
    clearTimeout(timer);
    resolve(value);
  }, (error: unknown) => {
    clearTimeout(timer);
    reject(error);
  });
});

export class WorkerSupervisor {
  private readonly workers = new Map<number, Tracked>();
  private readonly pendingRestarts = new Set<NodeJS.Timeout>();
  private readonly backoff: RestartBackoff;
  private readonly now: () => number;
  private stopping = false;
  private rolling: Promise<void> | undefined;

  constructor(private readonly count: number, private readonly fork: () => WorkerHandle, private readonly log: SupervisorLog, private readonly options: SupervisorOptions = {}) {
    this.backoff = options.backoff ?? new RestartBackoff();
    this.now = options.now ?? Date.now;
  }

  /** The workers alive now (serving, starting or draining), by id. */
  get ids(): number[] {
    return [...this.workers.keys()];
  }

  /**
   * Forks every worker and resolves when all listen. If one fails to start (the port is taken, the
   * configuration is wrong for it), the others are stopped and the error is thrown: a node that
   * cannot start fails at once rather than restarting forever.
   */
  async start(): Promise<void> {
    const started = Array.from({ length: this.count }, () => this.spawn('initial'));
    try {
      await Promise.all(started.map((tracked) => within(tracked.handle.ready, this.options.readyTimeoutMs ?? 60_000, `worker ${tracked.handle.id} start`)));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /**
   * Replaces every worker, one at a time: a new worker first, and only once it listens is an old
   * one drained, so the port always has at least `count` listeners. A replacement that fails to
   * start ends the roll and the remaining old workers keep serving.
   */
  roll(): Promise<void> {
    if (this.rolling) {
      this.log.warn({}, 'rolling restart already under way');
      return this.rolling;
    }
    this.rolling = (async () => {
      const old = [...this.workers.values()].filter((tracked) => !tracked.retiring);
      this.log.info({ workers: old.map((tracked) => tracked.handle.id) }, 'rolling restart started');
      for (const tracked of old) {
        if (this.stopping) return;
        // Died meanwhile: its replacement is already on the way.
        if (!this.workers.has(tracked.handle.id)) continue;
        const fresh = this.spawn('standby');
        try {
          await within(fresh.handle.ready, this.options.readyTimeoutMs ?? 60_000, `worker ${fresh.handle.id} start`);
        } catch (error) {
          this.log.error({ worker: fresh.handle.id, cause: (error as Error).message }, 'rolling restart stopped: a new worker did not start; the old workers keep serving');
          await this.retire(fresh);
          return;
        }
        await this.retire(tracked);
        this.log.info({ replaced: tracked.handle.id, by: fresh.handle.id, pid: fresh.handle.pid }, 'worker replaced');
      }
      this.log.info({ workers: this.ids }, 'rolling restart finished');
    })().finally(() => {
      this.rolling = undefined;
    });
    return this.rolling;
  }

  /** Drains every worker (each finishes its requests) and resolves when all have exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.pendingRestarts) clearTimeout(timer);
    this.pendingRestarts.clear();
    await Promise.all([...this.workers.values()].map((tracked) => this.retire(tracked)));
  }

  private spawn(kind: Tracked['kind']): Tracked {
    const handle = this.fork();
    const tracked: Tracked = { handle, startedAt: this.now(), retiring: false, kind, listening: false };
    this.workers.set(handle.id, tracked);
    this.log.info({ worker: handle.id, pid: handle.pid }, 'worker started');
    handle.ready.then(() => {
      tracked.listening = true;
    }, () => undefined);
    void handle.exited.then((exit) => this.exited(tracked, exit));
    return tracked;
  }

  private exited(tracked: Tracked, exit: WorkerExit): void {
    this.workers.delete(tracked.handle.id);
    const fields = { worker: tracked.handle.id, pid: tracked.handle.pid, code: exit.code, signal: exit.signal };
    if (tracked.retiring || this.stopping) {
      this.log.info(fields, 'worker exited');
      return;
    }
    if (!tracked.listening && tracked.kind !== 'replacement') {
      this.log.error(fields, 'worker exited before listening');
      return;
    }
    const lived = this.now() - tracked.startedAt;
    const delay = this.backoff.next(lived);
    this.log.error({ ...fields, livedMs: lived, restartInMs: delay }, 'worker died; starting a replacement');
    const timer = setTimeout(() => {
      this.pendingRestarts.delete(timer);
      if (!this.stopping) this.spawn('replacement');
    }, delay);
    this.pendingRestarts.add(timer);
  }

  private async retire(tracked: Tracked): Promise<void> {
    tracked.retiring = true;
    tracked.handle.drain();
    try {
      await within(tracked.handle.exited, this.options.drainTimeoutMs ?? 15_000, `worker ${tracked.handle.id} drain`);
    } catch {
      this.log.warn({ worker: tracked.handle.id, pid: tracked.handle.pid }, 'worker did not drain in time; killed');
      tracked.handle.kill();
      await tracked.handle.exited;
    }
  }
}
