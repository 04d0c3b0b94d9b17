/**
 * A relying party's report card, computed from its recorded requests: the mistakes the server can
 * see from its side of the exchange. It cannot see what the client does with what it receives
 * (does it check state, nonce, the ID token's signature?), so the card lists only observed facts.
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-2.1 (state or PKCE against CSRF; PKCE for every client)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token reuse detection)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (a code is used once)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (nonce)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (invalid_token for an expired token)
 */
import type { RequestTrace } from '../storage/request-trace-records.js';

interface ReportFlag {
  id: 'no-state' | 'no-nonce' | 'no-pkce' | 'plain-pkce' | 'code-reused' | 'refresh-retried' | 'userinfo-expired';
  title: string;
  /** What the flag means and what to change. */
  advice: string;
  spec: string;
  /** Traces that show it, newest first. */
  traceIds: number[];
}

export interface ReportCard {
  requestsConsidered: number;
  flags: ReportFlag[];
  /** The checks that found nothing, by title. */
  passed: string[];
}

const CHECKS: Omit<ReportFlag, 'traceIds'>[] = [
  { id: 'no-state', title: 'Authorization requests without state', spec: 'RFC 9700 §2.1', advice: 'Send an unguessable state bound to the browser session and check it on return, unless PKCE alone protects the flow for this client.' },
  { id: 'no-nonce', title: 'OpenID requests without nonce', spec: 'OpenID Connect Core §3.1.2.1', advice: 'Send a nonce with scope=openid and check it against the ID token, so a stolen ID token cannot be replayed into a session.' },
  { id: 'no-pkce', title: 'Authorization requests without PKCE', spec: 'RFC 9700 §2.1.1', advice: 'Send code_challenge (S256) on every authorization request, even where this client may skip it.' },
  { id: 'plain-pkce', title: 'PKCE with the plain method', spec: 'RFC 7636 §4.2', advice: 'Use code_challenge_method=S256: plain gives the challenge away.' },
  { id: 'code-reused', title: 'An authorization code presented more than once', spec: 'RFC 6749 §4.1.2', advice: 'Redeem each code once. A second use is treated as an attack and revokes what the code gave.' },
  { id: 'refresh-retried', title: 'A refresh token presented more than once', spec: 'RFC 9700 §4.14.2', advice: 'Store the new refresh token of each rotation before using it; presenting a rotated one counts as reuse and revokes the grant.' },
  { id: 'userinfo-expired', title: 'Userinfo called with an expired access token', spec: 'RFC 6750 §3.1', advice: 'Refresh the access token before it expires (expires_in) instead of waiting for invalid_token.' },
];

const asText = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** Traces whose masked value named `param` repeats an earlier one's hint: every repetition after the first. */
function repeated(traces: RequestTrace[], param: string, grantType: string): number[] {
  const seen = new Map<string, number>();
  const ids: number[] = [];
  for (const trace of [...traces].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
    if (trace.endpoint !== 'token' || asText(trace.params.grant_type) !== grantType) continue;
    const hint = trace.masked[param]?.hint;
    if (!hint) continue;
    if (seen.has(hint)) ids.push(trace.id ?? 0);
    seen.set(hint, trace.id ?? 0);
  }
  return ids.reverse();
}

/** Expiry (epoch seconds) of every access token the traces show issued, by hint. */
function accessTokenExpiries(traces: RequestTrace[]): Map<string, number> {
  const expiries = new Map<string, number>();
  for (const trace of traces) {
    for (const token of trace.issued) {
      if (token.kind !== 'access_token' || !token.hint) continue;
      const exp = typeof token.jwt?.claims.exp === 'number' ? token.jwt.claims.exp : token.expiresIn !== undefined ? trace.at + token.expiresIn : undefined;
      if (exp !== undefined) expiries.set(token.hint, exp);
    }
  }
  return expiries;
}

function userinfoWithExpiredToken(traces: RequestTrace[]): number[] {
  const expiries = accessTokenExpiries(traces);
  return traces.filter((trace) => {
    if (trace.endpoint !== 'userinfo' || trace.status !== 401) return false;
    const bearer = trace.masked.Authorization ?? trace.masked.access_token;
    const exp = typeof bearer?.jwt?.claims.exp === 'number' ? bearer.jwt.claims.exp : bearer?.hint ? expiries.get(bearer.hint) : undefined;
    return exp !== undefined && exp <= trace.at;
  }).map((trace) => trace.id ?? 0);
}

/** `traces`: one client's recorded requests (any order). */
export function reportCard(traces: RequestTrace[]): ReportCard {
  const authorizations = traces.filter((trace) => trace.endpoint === 'authorization' || trace.endpoint === 'par');
  const ids = (list: RequestTrace[]) => list.map((trace) => trace.id ?? 0).sort((a, b) => b - a);
  const found: Record<ReportFlag['id'], number[]> = {
    'no-state': ids(authorizations.filter((t) => t.params.state === undefined)),
    'no-nonce': ids(authorizations.filter((t) => (asText(t.params.scope) ?? '').split(' ').includes('openid') && t.params.nonce === undefined)),
    'no-pkce': ids(authorizations.filter((t) => t.params.code_challenge === undefined && t.status < 400 && !t.error)),
    'plain-pkce': ids(authorizations.filter((t) => asText(t.params.code_challenge_method) === 'plain')),
    'code-reused': repeated(traces, 'code', 'authorization_code'),
    'refresh-retried': repeated(traces, 'refresh_token', 'refresh_token'),
    'userinfo-expired': userinfoWithExpiredToken(traces).sort((a, b) => b - a),
  };
  return {
    requestsConsidered: traces.length,
    flags: CHECKS.filter((check) => found[check.id].length > 0).map((check) => ({ ...check, traceIds: found[check.id] })),
    passed: CHECKS.filter((check) => found[check.id].length === 0).map((check) => check.title),
  };
}
