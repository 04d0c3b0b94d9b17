/**
 * The autocannon runner every scenario uses: an unmeasured warm-up, then the measured run, both
 * with keep-alive connections on loopback and bounded in time. A scenario describes one iteration as
 * a list of steps; each step checks its own status (and may parse the body), so "errors" counts
 * every unexpected answer, not only non-2xx (a redirect can be the expected answer).
 */
import autocannon from 'autocannon';
import { snapshot, usage } from './cpu.mjs';

export const DEFAULTS = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 32),
  duration: Number(process.env.BENCH_DURATION ?? 10),
  warmup: Number(process.env.BENCH_WARMUP ?? 3),
};

/** Counters shared by the steps of one run. */
function newCounters() {
  return { iterations: 0, unexpected: 0, statuses: {}, samples: [] };
}

function headerValue(headers, name) {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  return undefined;
}

/**
 * Turns steps into autocannon requests. A step is
 *   { method, path, headers, body, setup(context) -> {path?, headers?, body?} | null,
 *     expect: status | [statuses], check(status, body, context, header) -> boolean, last?: boolean }
 * `check` may store values in `context` for the next step (it is reset at each iteration).
 */
function toRequests(steps, counters) {
  return steps.map((step, index) => {
    const last = index === steps.length - 1;
    const expected = Array.isArray(step.expect) ? step.expect : [step.expect ?? 200];
    const request = { method: step.method ?? 'GET', path: step.path };
    // Absent keys must stay absent: autocannon copies an undefined value over its defaults.
    if (step.headers) request.headers = step.headers;
    if (step.body !== undefined) request.body = step.body;
    if (step.setup) {
      request.setupRequest = (built, context) => {
        const extra = step.setup(context);
        if (!extra) return null;
        return { ...built, ...extra, headers: { ...built.headers, ...(extra.headers ?? {}) } };
      };
    }
    return {
      ...request,
      onResponse: (status, body, context, headers) => {
        const key = `${step.name ?? index}:${status}`;
        counters.statuses[key] = (counters.statuses[key] ?? 0) + 1;
        let ok = expected.includes(status);
        if (ok && step.check) {
          try {
            ok = step.check(status, body, context, (name) => headerValue(headers, name)) !== false;
          } catch {
            ok = false;
          }
        }
        if (!ok) {
          counters.unexpected += 1;
          if (counters.samples.length < 3) counters.samples.push(`${step.name ?? index} -> ${status} ${String(body).slice(0, 200)}`);
          context.failed = true;
        } else if (last && !context.failed) counters.iterations += 1;
      },
    };
  });
}

function once(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * Runs `steps` against `url`. Options: connections, duration, warmup (seconds, 0 for none),
 * overallRate (requests/s over all connections), amount (a fixed number of requests instead of a
 * duration), serverPids (for the CPU shares), onMeasured({from, to}) (wall-clock window). Returns { rps, iterationsPerSec, p50, p90, p99, errors, unexpected, non2xx, ... }.
 */
export async function runLoad(url, steps, options = {}) {
  const connections = options.connections ?? DEFAULTS.connections;
  const duration = options.duration ?? DEFAULTS.duration;
  const warmup = options.warmup ?? DEFAULTS.warmup;
  const base = { url, connections, timeout: 10, ...(options.overallRate ? { overallRate: options.overallRate } : {}) };
  if (warmup > 0 && !options.amount) {
    await once({ ...base, duration: warmup, requests: toRequests(steps, newCounters()) });
  }
  const counters = newCounters();
  const cpuBefore = snapshot(options.serverPids ?? []);
  const measuredFrom = Date.now();
  const result = await once({
    ...base,
    ...(options.amount ? { amount: options.amount } : { duration }),
    requests: toRequests(steps, counters),
  });
  const cpu = usage(cpuBefore, snapshot(options.serverPids ?? []));
  const measuredTo = Date.now();
  // The profiler wants the wall-clock window of the measured part (no set-up, no warm-up).
  options.onMeasured?.({ from: measuredFrom, to: measuredTo });
  // Measured here, not autocannon's result.duration: that is whole seconds, so a run of a fixed
  // amount of requests (5.4 s say) had its rate and CPU per request off by up to a fifth.
  const seconds = (measuredTo - measuredFrom) / 1000;
  const total = result.requests.total;
  return {
    connections,
    duration: Math.round(seconds * 10) / 10,
    requests: total,
    rps: total / seconds,
    iterations: counters.iterations,
    iterationsPerSec: counters.iterations / seconds,
    stepsPerIteration: steps.length,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    // Connection errors and timeouts, then answers that were not the step's expected one.
    errors: result.errors + result.timeouts,
    unexpected: counters.unexpected,
    non2xx: result.non2xx,
    statuses: counters.statuses,
    samples: counters.samples,
    resets: result.resets ?? 0,
    overallRate: options.overallRate,
    // Shares of one core during the measured run: the server(s), PostgreSQL, this generator, the rest.
    cpu,
  };
}
