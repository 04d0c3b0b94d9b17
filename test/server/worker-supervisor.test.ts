/**
 * The primary's supervision of its workers, without forking: fake workers that become ready, exit
 * and drain when told, so the order of a rolling restart, the replacement of a dead worker and the
 * restart backoff can be checked step by step.
 */
import { describe, expect, it } from 'vitest';
import { RestartBackoff, WorkerSupervisor, type WorkerExit, type WorkerHandle } from '../../src/server/worker-supervisor.js';

interface FakeWorker extends WorkerHandle {
  listen(): void;
  die(exit?: WorkerExit): void;
  fail(): void;
}

/** A fork function whose workers record what happens to them in `events`; `listening` counts live listeners. */
function fakeCluster(options: { drainsBy?: 'exiting' | 'hanging'; autoListen?: boolean } = {}) {
  const events: string[] = [];
  const workers: FakeWorker[] = [];
  let listening = 0;
  let lowest = Infinity;
  const fork = (): WorkerHandle => {
    const id = workers.length + 1;
    let resolveReady!: () => void;
    let rejectReady!: (error: Error) => void;
    let resolveExit!: (exit: WorkerExit) => void;
    const ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    const exited = new Promise<WorkerExit>((resolve) => {
      resolveExit = resolve;
    });
    let up = false;
    let gone = false;
    const end = (exit: WorkerExit) => {
      if (gone) return;
      gone = true;
      if (up) listening -= 1;
      up = false;
      lowest = Math.min(lowest, listening);
      events.push(`exit ${id}`);
      rejectReady(new Error(`worker ${id} exited`));
      resolveExit(exit);
    };
    const worker: FakeWorker = {
      id,
      pid: 1000 + id,
      ready,
      exited,
      listen() {
        up = true;
        listening += 1;
        events.push(`listening ${id}`);
        resolveReady();
      },
      die: (exit = { code: null, signal: 'SIGKILL' }) => end(exit),
      fail: () => end({ code: 1, signal: null }),
      drain() {
        events.push(`drain ${id}`);
        if (options.drainsBy !== 'hanging') queueMicrotask(() => end({ code: 0, signal: null }));
      },
      kill() {
        events.push(`kill ${id}`);
        end({ code: null, signal: 'SIGKILL' });
      },
    };
    workers.push(worker);
    events.push(`fork ${id}`);
    if (options.autoListen !== false) setTimeout(() => worker.listen(), 1);
    return worker;
  };
  return { fork, events, workers, listening: () => listening, lowestDuringExits: () => lowest };
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const settle = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RestartBackoff', () => {
  it('replaces a worker that had been running at once, every time', () => {
    const backoff = new RestartBackoff({ baseMs: 500, maxMs: 30_000, stableMs: 10_000 });
    expect([backoff.next(60_000), backoff.next(60_000), backoff.next(3_600_000)]).toEqual([0, 0, 0]);
  });

  it('doubles the delay while workers die young (a crash loop), up to the maximum', () => {
    const backoff = new RestartBackoff({ baseMs: 500, maxMs: 30_000, stableMs: 10_000 });
    expect(Array.from({ length: 9 }, () => backoff.next(100))).toEqual([0, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('a worker that stays up long enough resets the count', () => {
    const backoff = new RestartBackoff({ baseMs: 500, maxMs: 30_000, stableMs: 10_000 });
    backoff.next(100);
    backoff.next(100);
    expect(backoff.next(100)).toBe(1000);
    expect(backoff.next(10_000)).toBe(0);
    expect(backoff.next(100)).toBe(500);
  });
});

describe('WorkerSupervisor', () => {
  it('starts every worker and resolves once all listen', async () => {
    const cluster = fakeCluster();
    const supervisor = new WorkerSupervisor(3, cluster.fork, silent);
    await supervisor.start();
    expect(cluster.listening()).toBe(3);
    expect(supervisor.ids).toEqual([1, 2, 3]);
  });

  it('fails start when a worker exits before listening (a taken port), stopping the others', async () => {
    const cluster = fakeCluster({ autoListen: false });
    const supervisor = new WorkerSupervisor(2, cluster.fork, silent);
    const starting = supervisor.start();
    cluster.workers[0].listen();
    cluster.workers[1].fail();
    await expect(starting).rejects.toThrow('worker 2 exited');
    await settle();
    expect(cluster.events).toContain('drain 1');
    // No replacement for a worker that never started.
    expect(cluster.workers).toHaveLength(2);
  });

  it('replaces a worker that dies (kill -9) and keeps the count', async () => {
    const cluster = fakeCluster();
    const supervisor = new WorkerSupervisor(2, cluster.fork, silent, { backoff: new RestartBackoff({ baseMs: 1, maxMs: 5, stableMs: 0 }) });
    await supervisor.start();
    cluster.workers[0].die();
    await settle();
    expect(supervisor.ids).toEqual([2, 3]);
    expect(cluster.listening()).toBe(2);
  });

  it('keeps replacing a crash-looping worker, with growing delays', async () => {
    let clock = 0;
    const cluster = fakeCluster({ autoListen: false });
    const supervisor = new WorkerSupervisor(1, cluster.fork, silent, { now: () => clock, backoff: new RestartBackoff({ baseMs: 30, maxMs: 1000, stableMs: 10_000 }) });
    const starting = supervisor.start();
    cluster.workers[0].listen();
    await starting;
    cluster.workers[0].die();
    await settle(5);
    // The first death of a worker is replaced at once; a replacement dying young waits 30 ms.
    expect(cluster.workers).toHaveLength(2);
    cluster.workers[1].fail();
    await settle(5);
    expect(cluster.workers).toHaveLength(2);
    await settle(60);
    expect(cluster.workers).toHaveLength(3);
    clock += 1;
    await supervisor.stop();
  });

  it('a rolling restart forks a new worker, waits until it listens, then drains one old worker, one at a time', async () => {
    const cluster = fakeCluster();
    const supervisor = new WorkerSupervisor(2, cluster.fork, silent);
    await supervisor.start();
    cluster.events.length = 0;
    await supervisor.roll();
    expect(cluster.events).toEqual([
      'fork 3', 'listening 3', 'drain 1', 'exit 1',
      'fork 4', 'listening 4', 'drain 2', 'exit 2',
    ]);
    expect(supervisor.ids).toEqual([3, 4]);
    // At no exit did the port have fewer listeners than the configured count.
    expect(cluster.lowestDuringExits()).toBe(2);
  });

  it('a rolling restart whose new worker cannot start stops there; the old workers keep serving', async () => {
    const cluster = fakeCluster({ autoListen: false });
    const supervisor = new WorkerSupervisor(2, cluster.fork, silent);
    const starting = supervisor.start();
    cluster.workers.forEach((worker) => worker.listen());
    await starting;
    const rolling = supervisor.roll();
    await settle(5);
    cluster.workers[2].fail();
    await rolling;
    await settle();
    expect(supervisor.ids).toEqual([1, 2]);
    expect(cluster.events).not.toContain('drain 1');
    // The failed newcomer is not replaced: the roll owned it.
    expect(cluster.workers).toHaveLength(3);
  });

  it('stop drains every worker and replaces none', async () => {
    const cluster = fakeCluster();
    const supervisor = new WorkerSupervisor(3, cluster.fork, silent);
    await supervisor.start();
    await supervisor.stop();
    expect(cluster.events.filter((event) => event.startsWith('drain'))).toEqual(['drain 1', 'drain 2', 'drain 3']);
    expect(supervisor.ids).toEqual([]);
    expect(cluster.workers).toHaveLength(3);
  });

  it('kills a worker that does not drain in time', async () => {
    const cluster = fakeCluster({ drainsBy: 'hanging' });
    const supervisor = new WorkerSupervisor(1, cluster.fork, silent, { drainTimeoutMs: 20 });
    await supervisor.start();
    await supervisor.stop();
    expect(cluster.events.slice(-3)).toEqual(['drain 1', 'kill 1', 'exit 1']);
  });
});
