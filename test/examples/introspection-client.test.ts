/**
 * The example resource server's introspection client against a scripted Castellan (a fake fetch):
 * one deadline per request covers discovery too, and active answers are kept only when asked to,
 * never past the token's exp.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-4 (caching answers trades revocation latency for load)
 */
import { describe, expect, it } from 'vitest';
import { introspectionClient, IntrospectionUnavailable } from '../../examples/resource-server/introspection-client.mjs';

const ISSUER = 'https://castellan.test';
const ENDPOINT = `${ISSUER}/introspect`;

interface Script {
  /** ms before discovery answers (or never, when undefined and `stallDiscovery`). */
  discoveryDelayMs?: number;
  introspectionDelayMs?: number;
  answer?: (token: string) => Record<string, unknown>;
}

/** A fetch that plays Castellan and counts the calls it gets; delays respect the abort signal. */
function scriptedCastellan(script: Script) {
  const calls = { discovery: 0, introspection: 0 };
  const wait = (ms: number, signal?: AbortSignal | null) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });
  const fetchImpl = (async (url: string, init: RequestInit) => {
    if (url.includes('/.well-known/')) {
      calls.discovery += 1;
      await wait(script.discoveryDelayMs ?? 0, init.signal);
      return new Response(JSON.stringify({ issuer: ISSUER, introspection_endpoint: ENDPOINT }), { status: 200 });
    }
    calls.introspection += 1;
    await wait(script.introspectionDelayMs ?? 0, init.signal);
    const token = new URLSearchParams(String(init.body)).get('token') ?? '';
    return new Response(JSON.stringify(script.answer?.(token) ?? { active: true }), { status: 200 });
  }) as unknown as typeof fetch;
  return { calls, fetchImpl };
}

describe('example resource server: introspection client', () => {
  it('bounds the first request by one deadline, discovery included (not one per call)', async () => {
    const { fetchImpl } = scriptedCastellan({ discoveryDelayMs: 150, introspectionDelayMs: 150 });
    const introspect = introspectionClient({ issuer: ISSUER, clientId: 'rs', clientSecret: 's', timeoutMs: 200, fetch: fetchImpl });
    const started = Date.now();
    await expect(introspect('t')).rejects.toBeInstanceOf(IntrospectionUnavailable);
    // Each call alone fits in 200 ms; the two together do not, and the request ends at its deadline.
    expect(Date.now() - started).toBeLessThan(330);
  });

  it('gives a request that joins a stalled discovery its own deadline, and retries discovery later', async () => {
    const { calls, fetchImpl } = scriptedCastellan({ discoveryDelayMs: 10_000 });
    const introspect = introspectionClient({ issuer: ISSUER, clientId: 'rs', clientSecret: 's', timeoutMs: 100, fetch: fetchImpl });
    const first = introspect('a');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await expect(introspect('b')).rejects.toBeInstanceOf(IntrospectionUnavailable);
    expect(Date.now() - started).toBeLessThan(200);
    await expect(first).rejects.toBeInstanceOf(IntrospectionUnavailable);
    await expect(introspect('c')).rejects.toBeInstanceOf(IntrospectionUnavailable);
    expect(calls.discovery).toBe(2);
  });

  it('asks Castellan on every request by default, so a revoked token fails at once', async () => {
    let active = true;
    const { calls, fetchImpl } = scriptedCastellan({ answer: () => ({ active }) });
    const introspect = introspectionClient({ issuer: ISSUER, clientId: 'rs', clientSecret: 's', fetch: fetchImpl });
    expect((await introspect('t')).active).toBe(true);
    active = false;
    expect((await introspect('t')).active).toBe(false);
    expect(calls.introspection).toBe(2);
  });

  it('keeps active answers for cacheSeconds, never past exp, and never inactive ones', async () => {
    let clock = 1_000_000_000;
    const exp = Math.floor(clock / 1000) + 3;
    const { calls, fetchImpl } = scriptedCastellan({ answer: (token) => (token === 'revoked' ? { active: false } : { active: true, exp }) });
    const introspect = introspectionClient({ issuer: ISSUER, clientId: 'rs', clientSecret: 's', cacheSeconds: 10, fetch: fetchImpl, now: () => clock });
    await introspect('live');
    await introspect('live');
    expect(calls.introspection).toBe(1);
    await introspect('revoked');
    await introspect('revoked');
    expect(calls.introspection).toBe(3);
    clock += 3_000; // the token's exp, well before cacheSeconds ends
    await introspect('live');
    expect(calls.introspection).toBe(4);
  });
});
