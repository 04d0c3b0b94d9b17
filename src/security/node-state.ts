/**
 * State every request consults and the database holds (the IP blocklist, emergency mode), cached
 * per node and reloaded when STATE_REFRESH_SECONDS old. A request waits at most
 * STATE_RELOAD_WAIT_MS for that reload; then the reload goes on in the background and the last
 * known state answers, so a stalled database never holds a request here (README: "When a
 * dependency fails"). Only the first use waits for the database. One reload at a time per node;
 * a failed one leaves the last known state in force until the next.
 */
import type { Logger } from 'pino';

/** Seconds a node serves its cached incident state (blocks, emergency mode) before reloading it. */
export const STATE_REFRESH_SECONDS = 5;
/** The longest a request waits for a reload of that state; a healthy database answers in about a millisecond. */
export const STATE_RELOAD_WAIT_MS = 50;

/** Resolves when `work` settles or after `ms`, whichever comes first (`work` goes on either way). */
function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    work.then(() => undefined, () => undefined).finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface NodeStateSource {
  clock: () => number;
  logger: Logger;
}

export class NodeState<S extends NodeStateSource> {
  private loadedAt = -Infinity;
  private loading?: Promise<void>;

  /** `load` replaces the cached state; `what` names it in the log line of a failed reload. */
  constructor(private readonly what: string, private readonly load: (source: S, now: number) => Promise<void>) {}

  /** Reloads when stale (see above); resolves when the cached state may be read. */
  async fresh(source: S): Promise<void> {
    if (this.loadedAt === -Infinity) await this.reload(source);
    else if (source.clock() - this.loadedAt >= STATE_REFRESH_SECONDS) await settledWithin(this.reload(source), STATE_RELOAD_WAIT_MS);
  }

  /** Reloads now, joining a reload already under way. */
  reload(source: S): Promise<void> {
    this.loading ??= (async () => {
      const now = source.clock();
      try {
        await this.load(source, now);
      } catch (error) {
        source.logger.warn({ cause: error instanceof Error ? error.message : String(error) }, `${this.what} not reloaded; the last known state stays in force`);
      } finally {
        this.loadedAt = now;
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
