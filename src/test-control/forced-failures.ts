/**
 * Forced failures of the test control API: the next N token responses to one client fail the way a
 * relying party's tests need to see, as the real failure would look on the wire.
 * - `invalid_grant`, `temporarily_unavailable` (503 with Retry-After) and `server_error` are RFC
 *   6749 §5.2 error answers; the code or refresh token presented is not used, so a retry can succeed.
 * - `delay` holds the response for `delay_ms` (at most MAX_DELAY_MS), then serves it normally.
 * - `id_token_*` serve a response whose ID token the client MUST reject (OIDC Core §3.1.3.7): a
 *   broken signature, or a validly signed token with the wrong iss, aud or nonce.
 * Two phases of the token endpoint (server/token-endpoint.ts) take them, and UserInfo takes the
 * error answers and delays aimed at it; all return at once when test control is off, and otherwise
 * cost one query per request.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { OAuthError } from '../errors/oauth-error.js';
import type { TokenResponseBody } from '../rfc6749-oauth2/token-response.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import type { FailureEndpoint, FailureKind } from '../storage/test-control-records.js';
import type { Alg } from '../tokens/keystore.js';

/** The longest a forced delay may hold a response: longer than any sensible client timeout, short enough not to pin the server. */
export const MAX_DELAY_MS = 30_000;

const ANSWER_KINDS: readonly FailureKind[] = ['invalid_grant', 'temporarily_unavailable', 'server_error', 'delay'];
const ID_TOKEN_KINDS: readonly FailureKind[] = ['id_token_bad_signature', 'id_token_wrong_iss', 'id_token_wrong_aud', 'id_token_wrong_nonce'];

/** What each endpoint can be made to do: UserInfo has no grant to be invalid and issues no ID token. */
export const ENDPOINT_FAILURES: Record<FailureEndpoint, readonly FailureKind[]> = {
  token: [...ANSWER_KINDS, ...ID_TOKEN_KINDS],
  userinfo: ['temporarily_unavailable', 'server_error', 'delay'],
};

const FORCED = 'forced by the test control API';
const REQUIREMENT = 'CASTELLAN-TC-FAIL-1';

function forcedError(kind: FailureKind): OAuthError {
  if (kind === 'invalid_grant') return new OAuthError('invalid_grant', `The grant is invalid (${FORCED})`, { requirement: REQUIREMENT });
  if (kind === 'temporarily_unavailable') {
    return new OAuthError('temporarily_unavailable', `The service is temporarily unavailable; retry later (${FORCED})`, { requirement: REQUIREMENT, headers: { 'Retry-After': '1' } });
  }
  return new OAuthError('server_error', 'The server encountered an unexpected condition', { requirement: REQUIREMENT, cause: new Error(FORCED) });
}

/** An error answer or a delay forced for this client at `endpoint`, once the client is known. */
export async function forcedAnswer(ctx: Context, clientId: string, endpoint: FailureEndpoint): Promise<void> {
  if (!ctx.config.testControlEnabled) return;
  const forced = await ctx.stores.testControl.takeFailure(clientId, endpoint, ANSWER_KINDS);
  if (!forced) return;
  if (forced.failure !== 'delay') throw forcedError(forced.failure);
  await sleep(Math.min(forced.delayMs ?? 0, MAX_DELAY_MS));
}

/** Token endpoint phase, once the client is authenticated and before the grant runs. */
export function forcedTokenAnswer(ctx: Context, exchange: { client: ClientRecord }): Promise<void> {
  return forcedAnswer(ctx, exchange.client.clientId, 'token');
}

/** Token endpoint phase after the grant: only a response that carries an ID token takes an ID token failure. */
export async function forcedIdToken(ctx: Context, exchange: { client: ClientRecord; body: TokenResponseBody }): Promise<void> {
  if (!ctx.config.testControlEnabled || typeof exchange.body.id_token !== 'string') return;
  const forced = await ctx.stores.testControl.takeFailure(exchange.client.clientId, 'token', ID_TOKEN_KINDS);
  if (!forced) return;
  exchange.body = { ...exchange.body, id_token: await corruptIdToken(ctx, exchange.body.id_token, forced.failure) };
}

/** The ID token made wrong in the one way `kind` names; everything else about it stays valid. */
async function corruptIdToken(ctx: Pick<Context, 'keystore' | 'config'>, idToken: string, kind: FailureKind): Promise<string> {
  if (kind === 'id_token_bad_signature') {
    const [header, payload, signature] = idToken.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    // Flipping bits of the first byte changes the signature for certain (the last base64url character may carry padding bits only).
    bytes[0] ^= 0xff;
    return `${header}.${payload}.${bytes.toString('base64url')}`;
  }
  const claims = decodeJwt(idToken);
  if (kind === 'id_token_wrong_iss') claims.iss = `${ctx.config.issuer.replace(/\/$/, '')}/not-the-issuer`;
  else if (kind === 'id_token_wrong_aud') claims.aud = 'not-this-client';
  else if (kind === 'id_token_wrong_nonce') claims.nonce = `not-the-nonce-${String(claims.nonce ?? '')}`.slice(0, 255);
  else throw new Error(`${kind} is not an ID token failure`);
  // azp names the client too: with a wrong aud it must not quietly point back at it.
  if (kind === 'id_token_wrong_aud') delete claims.azp;
  return ctx.keystore.sign(claims, { alg: decodeProtectedHeader(idToken).alg as Alg });
}
