/**
 * The clock of a node with TEST_CONTROL_ENABLED: the system clock plus an offset that the test
 * control API moves forward. Every expiry decision reads `ctx.clock()`, so moving the offset makes
 * codes, tokens, sessions and keys expire as if that time had passed, without sleeping.
 * The offset lives in the database (`settings`), so every node and every worker agrees: each
 * process reloads it every CLOCK_REFRESH_MS, and the process that moved it reloads at once.
 * With test control off none of this exists: the context's clock is the plain system clock.
 */
import type { Logger } from 'pino';
import type { Context } from '../server/context.js';
import type { Stores } from '../storage/stores.js';

/** The `settings` row holding the offset, in seconds. */
const CLOCK_SETTING = 'test_clock_offset';
/** How often each process reloads the offset; another node's move is seen within this (plus one query). */
export const CLOCK_REFRESH_MS = 500;
/** The furthest one call may move the clock (ten years): past every lifetime, short of overflowing anything. */
export const MAX_ADVANCE_SECONDS = 10 * 365 * 86_400;

const asOffset = (value: unknown): number => {
  const seconds = (value as { seconds?: unknown } | null)?.seconds;
  return typeof seconds === 'number' && Number.isSafeInteger(seconds) && seconds >= 0 ? seconds : 0;
};

class ShiftedClock {
  private offset = 0;
  private loading?: Promise<void>;

  constructor(private readonly stores: Stores, private readonly base: () => number, private readonly logger: Logger) {}

  /** Seconds since the epoch, as this node's tests see them. */
  readonly now = (): number => this.base() + this.offset;

  get offsetSeconds(): number {
    return this.offset;
  }

  /** Reads the shared offset now (joining a read under way); a failed read keeps the last one. */
  reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        this.offset = asOffset((await this.stores.settings.get(CLOCK_SETTING))?.value);
      } catch (error) {
        this.logger.warn({ cause: error instanceof Error ? error.message : String(error) }, 'test clock offset not reloaded; the last one stays in force');
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}

const clocks = new WeakMap<Stores, ShiftedClock>();

/**
 * The shifted clock of a context being built (bootstrap), loaded once and kept fresh by a timer;
 * `stop` ends the timer.
 */
export async function startShiftedClock(stores: Stores, base: () => number, logger: Logger): Promise<{ clock: () => number; stop: () => Promise<void> }> {
  const shifted = new ShiftedClock(stores, base, logger);
  await shifted.reload();
  clocks.set(stores, shifted);
  const timer = setInterval(() => void shifted.reload(), CLOCK_REFRESH_MS);
  timer.unref();
  return { clock: shifted.now, stop: async () => clearInterval(timer) };
}

function clockOf(ctx: Pick<Context, 'stores'>): ShiftedClock {
  const shifted = clocks.get(ctx.stores);
  if (!shifted) throw new Error('the test control clock runs only with TEST_CONTROL_ENABLED=true');
  return shifted;
}

interface ClockState {
  offset_seconds: number;
  /** The time the server now works with, seconds and ISO 8601. */
  now: number;
  now_iso: string;
}

export function clockState(ctx: Pick<Context, 'stores'>): ClockState {
  const shifted = clockOf(ctx);
  const now = shifted.now();
  return { offset_seconds: shifted.offsetSeconds, now, now_iso: new Date(now * 1000).toISOString() };
}

/** Moves every node's clock forward by `seconds` (never back: a clock going back is not a thing tests need). */
export async function advanceClock(ctx: Pick<Context, 'stores' | 'clock'>, seconds: number): Promise<ClockState> {
  await ctx.stores.transaction(async (tx) => {
    const offset = asOffset((await ctx.stores.settings.get(CLOCK_SETTING, tx))?.value);
    await ctx.stores.settings.put(CLOCK_SETTING, { seconds: Math.min(offset + seconds, Number.MAX_SAFE_INTEGER) }, ctx.clock(), tx);
  });
  await clockOf(ctx).reload();
  return clockState(ctx);
}

/** Back to the system clock on every node. */
export async function resetClock(ctx: Pick<Context, 'stores' | 'clock'>): Promise<ClockState> {
  await ctx.stores.settings.put(CLOCK_SETTING, { seconds: 0 }, ctx.clock());
  await clockOf(ctx).reload();
  return clockState(ctx);
}

/** This process's view again after something else changed the row (the reset empties `settings`). */
export function reloadClock(ctx: Pick<Context, 'stores'>): Promise<void> {
  return clockOf(ctx).reload();
}
