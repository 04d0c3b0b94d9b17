/**
 * One user of a connection at a time, the others waiting asynchronously in arrival order, each
 * until its own deadline: SQLite has one connection, and a transaction keeps it across its awaits.
 */
interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

export class Turns {
  private held = false;
  private readonly queue: Waiter[] = [];

  /** Takes the turn now if nobody holds it and nobody waits (the common case: no promise, no timer). */
  private tryTake(): boolean {
    if (this.held || this.queue.length > 0) return false;
    this.held = true;
    return true;
  }

  /** Waits for the turn; past `deadline` it gives up with the error `timedOut` makes. */
  take(deadline: number, timedOut: () => unknown): Promise<void> {
    if (this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const index = this.queue.indexOf(waiter);
          if (index !== -1) this.queue.splice(index, 1);
          reject(timedOut());
        }, Math.max(0, deadline - Date.now())),
      };
      this.queue.push(waiter);
    });
  }

  /** Hands the turn to the next waiter, or frees it. */
  give(): void {
    const next = this.queue.shift();
    if (next === undefined) {
      this.held = false;
      return;
    }
    clearTimeout(next.timer);
    next.resolve();
  }
}
