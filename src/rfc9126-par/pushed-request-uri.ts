/**
 * The request_uri of a pushed authorization request: a URN with 256 random bits, of which only the
 * SHA-256 is stored. At /authorize it is redeemed once, by the client that pushed it, before it
 * expires; the parameters pushed are then the whole request.
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-2.2 (request_uri, expires_in)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-4 (one-time use, bound to the client, expiry)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-7.1 (request_uri guessing: enough entropy)
 */
import { OAuthError } from '../errors/oauth-error.js';
import type { Params } from '../schema/validator.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
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

/**
 * The pushed parameters named by `requestUri`, marked used. One error for unknown, expired, used
 * and another client's request_uri alike, so a client cannot probe which one it is.
 */
export async function redeemPushedRequest(ctx: Context, client: ClientRecord, requestUri: string): Promise<Params> {
  const handle = requestUri.slice(PUSHED_REQUEST_URI_PREFIX.length);
  const params = handle.length > 0 && handle.length <= 256
    ? await ctx.stores.pushedRequests.consume(hashHandle(handle), client.clientId, ctx.clock())
    : undefined;
  if (!params) {
    throw new OAuthError('invalid_request_uri', 'the request_uri is unknown, expired, already used or was pushed by another client', { requirement: 'RFC9126-4-1' });
  }
  return params;
}
