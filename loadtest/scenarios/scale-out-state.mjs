/**
 * Scale-out, shared state outside the token tables:
 * - an IP block set with the CLI against the shared database is enforced by both nodes within
 *   their refresh delay (STATE_REFRESH_SECONDS), and lifted the same way. The nodes trust the
 *   imagined balancer on 127.0.0.1 (TRUSTED_PROXIES), so the blocked address is the one it forwards
 *   in X-Forwarded-For: loopback itself is never blocked by threat detection, a manual block of a
 *   forwarded address is what an operator would do;
 * - a browser session signed in at node 1 survives node 1's restart: /authorize with the session
 *   cookie is answered with a code, no login page, at the restarted node and at the other one.
 * @spec https://www.rfc-editor.org/rfc/rfc7239#section-8.1 (forwarding headers from trusted proxies only)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (prompt-less authorization)
 */
import { pkcePair } from '../lib/auth.mjs';
import { castellanCli } from '../lib/cli.mjs';
import { CLIENTS, REDIRECT_URI } from '../lib/fixtures.mjs';
import { authorizeQuery, redeemCode } from '../lib/target.mjs';
import { threshold } from '../lib/thresholds.mjs';
import { SCOPE } from './authorization-code.mjs';

/** TEST-NET-3 (RFC 5737): never a real client. */
const BLOCKED = '203.0.113.77';
const OTHER = '198.51.100.9';
/** STATE_REFRESH_SECONDS (src/security/ip-blocklist.ts) plus a second of clock rounding and polling. */
export const STATE_REFRESH_LIMIT_MS = 6_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `test` every `everyMs` until it holds; ms since `from`, or undefined past `limitMs`. */
export async function waitFor(test, from, limitMs, everyMs = 100) {
  for (;;) {
    if (await test()) return Date.now() - from;
    if (Date.now() - from > limitMs) return undefined;
    await sleep(everyMs);
  }
}

/** The status a node gives a request forwarded for `ip` (no header: the balancer's own address). */
async function statusFor(target, ip) {
  const response = await fetch(target.url + target.paths.discovery, { headers: { accept: 'application/json', ...(ip ? { 'x-forwarded-for': ip } : {}) } });
  await response.arrayBuffer();
  return response.status;
}

const statuses = (targets, ip) => Promise.all(targets.map((t) => statusFor(t, ip)));

export async function ipBlockChecks(targets, deployment) {
  const before = await statuses(targets, BLOCKED);
  const block = await castellanCli(deployment, ['ip', 'block', BLOCKED, '--reason', 'scale-out load test', '--duration', 'PT10M']);
  const blockedIn = await Promise.all(targets.map((t) => waitFor(async () => (await statusFor(t, BLOCKED)) === 403, block.exitedAt, STATE_REFRESH_LIMIT_MS)));
  const others = await statuses(targets, OTHER);
  const balancer = await statuses(targets);
  const unblock = await castellanCli(deployment, ['ip', 'unblock', BLOCKED]);
  const liftedIn = await Promise.all(targets.map((t) => waitFor(async () => (await statusFor(t, BLOCKED)) === 200, unblock.exitedAt, STATE_REFRESH_LIMIT_MS)));
  const ms = (list) => list.map((v, i) => `node ${i + 1}: ${v === undefined ? 'not' : `${v} ms`}`).join(', ');
  return [
    threshold(`scale-out: an IP block set with the CLI is enforced by both nodes within ${STATE_REFRESH_LIMIT_MS / 1000} s (403 for X-Forwarded-For ${BLOCKED})`,
      before.every((s) => s === 200) && blockedIn.every((v) => v !== undefined),
      `before: ${before.join('/')}; blocked after the command returned (${block.exitedAt - block.startedAt} ms to run it): ${ms(blockedIn)}`),
    threshold('scale-out: the block hits only that address (another forwarded address and the balancer itself: 200)',
      [...others, ...balancer].every((s) => s === 200), `other address: ${others.join('/')}, balancer: ${balancer.join('/')}`),
    threshold(`scale-out: ip unblock is honoured by both nodes within ${STATE_REFRESH_LIMIT_MS / 1000} s`,
      liftedIn.every((v) => v !== undefined), ms(liftedIn)),
  ];
}

/** /authorize with only the session cookie; the code when the answer is the redirect with one. */
async function authorizeWithCookie(target, cookie) {
  const { challenge, verifier } = pkcePair();
  const response = await fetch(`${target.url}${target.paths.authorization}?${authorizeQuery(CLIENTS.web, SCOPE, challenge)}`, { redirect: 'manual', headers: { cookie } });
  await response.arrayBuffer();
  const location = response.headers.get('location') ?? '';
  const code = location.startsWith(REDIRECT_URI) ? new URL(location).searchParams.get('code') : null;
  return { status: response.status, code, verifier, location: code ? 'redirect_uri with a code' : location.slice(0, 80) };
}

/** After node 1's restart: the session from before is honoured at both nodes, codes redeemable across. */
export async function sessionAfterRestartChecks(targets, session, restartMs) {
  const [one, two] = targets;
  const atOne = await authorizeWithCookie(one, session.cookie);
  const atTwo = await authorizeWithCookie(two, session.cookie);
  let redeemed = 'no code';
  if (atOne.code && atTwo.code) {
    try {
      await redeemCode(two, CLIENTS.web, atOne.code, atOne.verifier);
      await redeemCode(one, CLIENTS.web, atTwo.code, atTwo.verifier);
      redeemed = 'both codes redeemed at the other node';
    } catch (error) {
      redeemed = error.message;
    }
  }
  return [
    threshold('scale-out: a session signed in at node 1 survives node 1\'s restart (/authorize answered with a code at node 1 and node 2, no login page)',
      Boolean(atOne.code && atTwo.code) && redeemed.startsWith('both'),
      `restart took ${restartMs} ms; node 1: ${atOne.status} ${atOne.location}; node 2: ${atTwo.status} ${atTwo.location}; ${redeemed}`),
  ];
}
