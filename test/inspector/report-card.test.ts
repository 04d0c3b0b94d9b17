/**
 * The report card's flags, computed from recorded traces only.
 */
import { describe, expect, it } from 'vitest';
import { reportCard } from '../../src/inspector/report-card.js';
import { MASKED } from '../../src/inspector/secret-masking.js';
import type { RequestTrace } from '../../src/storage/request-trace-records.js';

let nextId = 0;
const trace = (overrides: Partial<RequestTrace>): RequestTrace => ({
  id: (nextId += 1), clientId: 'rp', at: 1_000, endpoint: 'authorization', method: 'GET', status: 303, durationMs: 1, params: {}, masked: {}, issued: [], ...overrides,
});
const goodAuthorization = () => trace({ params: { client_id: 'rp', scope: 'openid', state: 's', nonce: 'n', code_challenge: 'c', code_challenge_method: 'S256' } });
const flagIds = (traces: RequestTrace[]) => reportCard(traces).flags.map((flag) => flag.id);

describe('RP report card', () => {
  it('flags nothing for a client that sends state, nonce and S256 PKCE and uses each credential once', () => {
    const card = reportCard([goodAuthorization(), goodAuthorization()]);
    expect(card.flags).toEqual([]);
    expect(card.passed).toHaveLength(7);
  });

  it('flags authorization requests without state, OpenID requests without nonce, skipped and plain PKCE', () => {
    const noState = trace({ params: { scope: 'openid', nonce: 'n', code_challenge: 'c' } });
    const noNonce = trace({ params: { scope: 'openid profile', state: 's', code_challenge: 'c' } });
    const oauthOnly = trace({ params: { scope: 'api', state: 's', code_challenge: 'c' } });
    const noPkce = trace({ params: { scope: 'api', state: 's' } });
    const refusedNoPkce = trace({ params: { scope: 'api', state: 's' }, status: 303, error: { code: 'invalid_request' } });
    const plain = trace({ params: { scope: 'api', state: 's', code_challenge: 'c', code_challenge_method: 'plain' } });
    const card = reportCard([noState, noNonce, oauthOnly, noPkce, refusedNoPkce, plain]);
    const byId = Object.fromEntries(card.flags.map((flag) => [flag.id, flag.traceIds]));
    expect(byId['no-state']).toEqual([noState.id]);
    expect(byId['no-nonce']).toEqual([noNonce.id]);
    expect(byId['no-pkce']).toEqual([noPkce.id]);
    expect(byId['plain-pkce']).toEqual([plain.id]);
  });

  it('flags a code presented twice and a refresh token retried, by their one-way hints', () => {
    const redeem = (hint: string) => trace({ endpoint: 'token', method: 'POST', status: 200, params: { grant_type: 'authorization_code', code: MASKED }, masked: { code: { length: 43, hint } } });
    const refresh = (hint: string) => trace({ endpoint: 'token', method: 'POST', status: 200, params: { grant_type: 'refresh_token', refresh_token: MASKED }, masked: { refresh_token: { length: 43, hint } } });
    expect(flagIds([redeem('aaa'), redeem('bbb'), refresh('ccc'), refresh('ddd')])).toEqual([]);
    const first = redeem('aaa');
    const second = redeem('aaa');
    const rotation = refresh('ccc');
    const retried = refresh('ccc');
    const card = reportCard([second, first, retried, rotation]);
    expect(card.flags.map((flag) => [flag.id, flag.traceIds])).toEqual([['code-reused', [second.id]], ['refresh-retried', [retried.id]]]);
  });

  it('flags userinfo called with an access token past its expiry (expires_in of an opaque one, exp of a JWT)', () => {
    const issuedAt = trace({ endpoint: 'token', method: 'POST', status: 200, at: 1_000, issued: [{ kind: 'access_token', format: 'opaque', hint: 'tok1', expiresIn: 3600 }] });
    const inTime = trace({ endpoint: 'userinfo', status: 401, at: 4_000, masked: { Authorization: { length: 50, scheme: 'Bearer', hint: 'tok1' } } });
    const late = trace({ endpoint: 'userinfo', status: 401, at: 4_700, masked: { Authorization: { length: 50, scheme: 'Bearer', hint: 'tok1' } } });
    const lateJwt = trace({ endpoint: 'userinfo', status: 401, at: 9_000, masked: { Authorization: { length: 500, scheme: 'Bearer', hint: 'tok2', jwt: { header: {}, claims: { exp: 8_000 } } } } });
    const card = reportCard([issuedAt, inTime, late, lateJwt]);
    expect(card.flags).toEqual([expect.objectContaining({ id: 'userinfo-expired', traceIds: [lateJwt.id, late.id] })]);
  });
});
