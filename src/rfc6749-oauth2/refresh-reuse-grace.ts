/**
 * The refresh token reuse grace period, opt in per client (`refresh_token_reuse_grace`, seconds,
 * default off). RFC 9700 §4.14.2 revokes the family when a rotated refresh token comes back, which
 * also punishes an honest client whose response was lost on the way (a timeout, a network retry).
 * Within its grace period such a retry gets the very answer the rotation gave, not a revoked grant;
 * after it, reuse revokes the family as before.
 *
 * The answer is kept sealed (AES-256-GCM) under a key derived from the consumed refresh token itself,
 * which is never stored: only whoever presents that token can open it, and a copy of the table yields
 * no token. It is written in the same atomic write as the rotation, so it exists exactly when the
 * rotation committed, and a concurrent retry that loses the race reads it after the winner's commit.
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token rotation and reuse detection)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.4 (refresh tokens bound to their client)
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { OAuthError } from '../errors/oauth-error.js';
import type { Context } from '../server/context.js';
import type { ClientRecord, RefreshRetryAnswer } from '../storage/stores.js';
import type { TokenResponseBody } from './token-response.js';

export const GRACE_METADATA = 'refresh_token_reuse_grace';
/** "A few seconds": long enough for a client's retry, short enough that a stolen token gains little. */
export const MAX_REUSE_GRACE = 60;

/** The client's grace period in seconds; 0 (off) unless it opted in. */
export function reuseGrace(client: ClientRecord): number {
  const value = (client.metadata as unknown as Record<string, unknown>)[GRACE_METADATA];
  return typeof value === 'number' ? value : 0;
}

export function validateReuseGrace(input: Record<string, unknown>): void {
  const value = input[GRACE_METADATA];
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_REUSE_GRACE) {
    throw new OAuthError('invalid_client_metadata', `${GRACE_METADATA} must be a whole number of seconds from 0 (off) to ${MAX_REUSE_GRACE}`, { requirement: 'RFC9700-4.14.2-grace' });
  }
}

const keyFor = (refreshToken: string, parentHash: string) =>
  Buffer.from(hkdfSync('sha256', Buffer.from(refreshToken, 'utf8'), 'castellan/refresh-retry', parentHash, 32));

/** The rotation's answer, sealed for a retry of `refreshToken` within the client's grace period. */
export function sealRetryAnswer(refreshToken: string, parentHash: string, client: ClientRecord, grantId: string, body: TokenResponseBody, now: number): RefreshRetryAnswer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(refreshToken, parentHash), iv);
  const sealed = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
  return {
    parentHash, clientId: client.clientId, grantId,
    sealed: Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url'),
    createdAt: now, expiresAt: now + reuseGrace(client),
  };
}

function open(refreshToken: string, answer: RefreshRetryAnswer): TokenResponseBody | undefined {
  try {
    const bytes = Buffer.from(answer.sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', keyFor(refreshToken, answer.parentHash), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')) as TokenResponseBody;
  } catch {
    return undefined;
  }
}

/**
 * The answer to give a retry of the consumed `refreshToken`: the rotation's own, when the client
 * opted in, the grace period has not passed, and the grant still lives; otherwise undefined (reuse).
 */
export async function retryAnswer(ctx: Context, client: ClientRecord, refreshToken: string, parentHash: string, proofSent: boolean): Promise<TokenResponseBody | undefined> {
  if (reuseGrace(client) === 0) return undefined;
  const answer = await ctx.stores.refreshRetryAnswers.find(parentHash);
  const now = ctx.clock();
  if (!answer || answer.clientId !== client.clientId || answer.expiresAt <= now) return undefined;
  const grant = await ctx.stores.grants.find(answer.grantId);
  if (!grant || grant.revokedAt !== null || grant.expiresAt <= now) return undefined;
  const body = open(refreshToken, answer);
  // A retry is the same request again: one that differs in sending a DPoP proof is not a retry.
  if (!body || (body.token_type === 'DPoP') !== proofSent) return undefined;
  // The expiry counts down from the rotation, as it would have for the lost response.
  return { ...body, expires_in: Math.max(0, body.expires_in - (now - answer.createdAt)) };
}
