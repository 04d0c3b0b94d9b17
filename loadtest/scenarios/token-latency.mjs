/**
 * Token endpoint latency at half its peak: first the peak throughput of client credentials
 * (client_secret_basic, JWT access token) with unbounded offered load, then a run with the offered
 * rate fixed at half of it; the p99 of that run is the figure. The paced run is open-loop with
 * evenly spaced starts (lib/paced.mjs), latencies counted from each scheduled start; autocannon's
 * overallRate is run too and shown beside it, but it sends each connection's quota in a burst at
 * the start of every second, so its latencies are those of full concurrency.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import { CLIENTS } from '../lib/fixtures.mjs';
import { snapshot, usage } from '../lib/cpu.mjs';
import { runPaced } from '../lib/paced.mjs';
import { DEFAULTS, runLoad } from '../lib/runner.mjs';
import { correctness, FLOORS, threshold } from '../lib/thresholds.mjs';
import { runStandalone } from '../lib/standalone.mjs';
import { clientCredentialsSteps } from './client-credentials.mjs';

const LABEL = 'token endpoint at half peak';

/** { paced, bursty }: the paced (target) measurement and autocannon's overallRate one. */
export async function tokenP99AtHalfPeak(target, peakRps, options = {}) {
  const overallRate = Math.max(1, Math.floor(peakRps / 2));
  const [step] = clientCredentialsSteps(target, CLIENTS.ccBasicJwt);
  const before = snapshot(options.serverPids ?? []);
  const paced = await runPaced(target.url, step, { rate: overallRate, duration: options.duration ?? DEFAULTS.duration, warmup: options.warmup ?? DEFAULTS.warmup, connections: options.connections ?? DEFAULTS.connections });
  const pacedRow = { label: `${LABEL}, paced (${overallRate} req/s offered)`, target: target.name, ...paced, overallRate, cpu: usage(before, snapshot(options.serverPids ?? [])) };
  const bursty = await runLoad(target.url, [step], { ...options, overallRate });
  const burstyRow = { label: `${LABEL}, autocannon overallRate (${overallRate} req/s, bursts)`, target: target.name, ...bursty, overallRate };
  return { paced: pacedRow, bursty: burstyRow };
}

export async function run(target, options = {}) {
  const peak = await runLoad(target.url, clientCredentialsSteps(target, CLIENTS.ccBasicJwt), options);
  const peakRow = { label: 'token endpoint peak (client credentials, Basic)', target: target.name, ...peak };
  const { paced: half, bursty } = await tokenP99AtHalfPeak(target, peak.rps, options);
  const thresholds = [...correctness(peakRow.label, peakRow), ...correctness(half.label, half), ...correctness(bursty.label, bursty)];
  if (options.floors !== false) {
    thresholds.push(threshold(`${LABEL}: p99 <= ${FLOORS.tokenP99AtHalfPeakMs} ms`, half.p99 <= FLOORS.tokenP99AtHalfPeakMs, `${half.p99} ms`));
  }
  return { scenario: 'token-latency', rows: [peakRow, half, bursty], thresholds };
}

await runStandalone(import.meta.url, run);
