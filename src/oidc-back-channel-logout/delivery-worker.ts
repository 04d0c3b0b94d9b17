/**
 * Runs the back-channel logout queue: at once when a logout queued something (so the client hears
 * within moments), and on an interval for retries and for deliveries left by a restarted node.
 * Runs never overlap within a node; across nodes the queue's claim decides.
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
import type { Context } from '../server/context.js';
import type { Stores } from '../storage/stores.js';
import { deliverDue, DELIVERY_BATCH } from './sender.js';

/** How often each node looks for due deliveries (retries are due after 10 s at the earliest). */
export const DELIVERY_INTERVAL_MS = 5_000;

interface Runner {
  active?: Promise<void>;
  again: boolean;
}

const runners = new WeakMap<Stores, Runner>();

/**
 * Starts a delivery pass now, or asks the running one to go round once more; never throws. The
 * promise settles when the queue has been worked through.
 */
export function kickDeliveries(ctx: Context): Promise<void> {
  let runner = runners.get(ctx.stores);
  if (!runner) {
    runner = { again: false };
    runners.set(ctx.stores, runner);
  }
  const state = runner;
  if (state.active) {
    state.again = true;
    return state.active;
  }
  state.active = (async () => {
    do {
      state.again = false;
      const run = await deliverDue(ctx);
      // A full batch may mean more is due.
      if (run.delivered + run.retried + run.failed >= DELIVERY_BATCH) state.again = true;
    } while (state.again);
  })()
    .catch((error: unknown) => ctx.logger.error({ err: error }, 'back-channel logout queue run failed'))
    .finally(() => {
      state.active = undefined;
    });
  return state.active;
}

/** Resolves when no delivery pass is running (tests, shutdown). */
export async function settleDeliveries(ctx: Pick<Context, 'stores'>): Promise<void> {
  await runners.get(ctx.stores)?.active;
}

/** Starts the interval; the returned stop function clears it and waits for a running pass. */
export function startLogoutDeliveryWorker(ctx: Context, intervalMs = DELIVERY_INTERVAL_MS): () => Promise<void> {
  const timer = setInterval(() => void kickDeliveries(ctx), intervalMs);
  timer.unref();
  void kickDeliveries(ctx);
  return async () => {
    clearInterval(timer);
    await settleDeliveries(ctx);
  };
}
