/**
 * The request_uri of a pushed authorization request: a URN with 256 random bits, of which only the
 * SHA-256 is stored. At /authorize the client that pushed it may use it before it expires; the
 * parameters pushed are then the whole request. It is used up when a code is issued for it, not at
 * the first visit: FAPI 2.0 SP §5.3.2.2 note 3 asks that a browser reloading /authorize (or the user
 * opening it twice) before signing in is not refused, and only one of those sign-ins gets a code.
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-2.2 (request_uri, expires_in)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-4 (one-time use, bound to the client, expiry)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-7.1 (request_uri guessing: enough entropy)
 * @spec https://openid.net/specs/fapi-security-profile-2_0-final.html#section-5.3.2.2 (reuse until the user is authenticated)
 */
import { OAuthError } from '../errors/oauth-error.js';
import type { Params } from '../schema/validator.js';
import type { Context } from '../server/context.js';
import type { ClientRecord, Tx } from '../storage/stores.js';
import { hashHandle, newHandle } from '../tokens/handles.js';

/** RFC 9126 §2.2: the URN namespace registered for request URIs. */
export const PUSHED_REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

export const isPushedRequestUri = (requestUri: string): boolean => requestUri.startsWith(PUSHED_REQUEST_URI_PREFIX);

/** Stores `params` for `client` and returns the request_uri naming them, with its lifetime. */
export async function pushRequest(ctx: Context, client: ClientRecord, params: Params): Promise<{ request_uri: string; expires_in: number }> {
  const handle = newHandle();
  const now = ctx.clock();
  await ctx.stores.pushedRequests.insert({ handleHash: hashHandle(handle), clientId: client.clientId, params, createdAt: now, expiresAt: now + ctx.config.parTtl });
  return { request_uri: PUSHED_REQUEST_URI_PREFIX + handle, expires_in: ctx.config.parTtl };
}

export interface PushedRequest {
  params: Params;
  /** SHA-256 of the handle, carried with the request until the code is issued (usePushedRequest). */
  handleHash: string;
}

/**
 * The pushed parameters named by `requestUri`, not yet used up. One error for unknown, expired, used
 * and another client's request_uri alike, so a client cannot probe which one it is.
 */
export async function readPushedRequest(ctx: Context, client: ClientRecord, requestUri: string): Promise<PushedRequest> {
  const handle = requestUri.slice(PUSHED_REQUEST_URI_PREFIX.length);
  const handleHash = handle.length > 0 && handle.length <= 256 ? hashHandle(handle) : undefined;
  const params = handleHash ? await ctx.stores.pushedRequests.find(handleHash, client.clientId, ctx.clock()) : undefined;
  if (!params || !handleHash) {
    throw new OAuthError('invalid_request_uri', 'the request_uri is unknown, expired, already used or was pushed by another client', { requirement: 'RFC9126-4-1' });
  }
  return { params, handleHash };
}

/**
 * Uses up the pushed request a code is being issued for, in the code's transaction: of two sign-ins
 * started from one request_uri only the first to finish gets a code.
 */
export async function usePushedRequest(ctx: Context, clientId: string, handleHash: string, tx: Tx): Promise<void> {
  if (!(await ctx.stores.pushedRequests.consume(handleHash, clientId, ctx.clock(), tx))) {
    throw new OAuthError('invalid_request_uri', 'a sign-in with this request_uri was already completed', { requirement: 'RFC9126-4-1' });
  }
}
