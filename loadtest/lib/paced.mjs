/**
 * An open-loop generator: requests start on a fixed schedule (rate per second, evenly spaced),
 * whatever the server's speed, over a pool of keep-alive connections. Latency is measured from each
 * request's scheduled start, so time spent queued behind a slow server counts (no coordinated
 * omission). Used for "p99 at half the peak": autocannon's overallRate sends each connection's
 * quota in a burst at the start of every second, which measures latency at full concurrency.
 */
import { Agent, request } from 'node:http';

function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (ms) => Math.round(ms * 10) / 10;

/**
 * Sends `step` ({method, path, headers, body, expect, check(status, body)}) to `url` at `rate`
 * requests/s for `duration` s (after `warmup` s at the same rate, not recorded).
 */
export async function runPaced(url, step, { rate, duration = 10, warmup = 0, connections = 32 } = {}) {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const expected = Array.isArray(step.expect) ? step.expect : [step.expect ?? 200];
  const body = step.body === undefined ? undefined : Buffer.from(step.body);
  const headers = { ...(step.headers ?? {}), ...(body ? { 'content-length': String(body.length) } : {}) };
  const latencies = [];
  let errors = 0;
  let unexpected = 0;
  let non2xx = 0;
  let sent = 0;
  let inFlight = 0;
  const samples = [];

  const fire = (scheduled, record) => {
    inFlight += 1;
    const req = request({ host: target.hostname, port: target.port, method: step.method ?? 'GET', path: step.path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        inFlight -= 1;
        if (!record) return;
        latencies.push(performance.now() - scheduled);
        if (res.statusCode < 200 || res.statusCode > 299) non2xx += 1;
        const text = Buffer.concat(chunks).toString('utf8');
        let ok = expected.includes(res.statusCode);
        if (ok && step.check) {
          try {
            ok = step.check(res.statusCode, text) !== false;
          } catch {
            ok = false;
          }
        }
        if (!ok) {
          unexpected += 1;
          if (samples.length < 3) samples.push(`${res.statusCode} ${text.slice(0, 200)}`);
        }
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      inFlight -= 1;
      if (record) errors += 1;
    });
    req.end(body);
  };

  const phase = (seconds, record) => new Promise((resolve) => {
    const start = performance.now();
    const total = Math.round(rate * seconds);
    let issued = 0;
    const interval = 1000 / rate;
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      // Each request keeps its own scheduled time, even when the timer fires late.
      for (; issued < due; issued += 1) fire(start + issued * interval, record);
      if (record) sent = issued;
      if (issued < total) setTimeout(tick, Math.max(0, Math.min(interval, 1)));
      else resolve();
    };
    tick();
  });

  if (warmup > 0) await phase(warmup, false);
  const started = performance.now();
  await phase(duration, true);
  // Let the last requests finish (bounded by the 10 s request timeout).
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    offered: rate,
    sent,
    p50: round(percentile(latencies, 50)),
    p90: round(percentile(latencies, 90)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1)),
    errors,
    unexpected,
    non2xx,
    samples,
    iterations: latencies.length - unexpected,
    stepsPerIteration: 1,
  };
}
