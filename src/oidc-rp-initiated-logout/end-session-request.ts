/**
 * Validation of an RP-Initiated Logout request: the id_token_hint (ours, any published key, expiry
 * ignored), the client it names or client_id names (both must agree), and the exact registered
 * post_logout_redirect_uri. Any failure is an error page: nothing that failed to validate is used,
 * and there is never a redirect to an unvalidated address.
 * @spec https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 * @spec https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RedirectionAfterLogout
 * @spec https://openid.net/specs/openid-connect-rpinitiated-1_0.html#ValidationAndErrorHandling
 */
import { OAuthError } from '../errors/oauth-error.js';
import { verifyIdTokenHint, type IdTokenHintClaims } from '../oidc-core/prompt.js';
import { pageLocale } from '../rfc6749-oauth2/authorization-request.js';
import { validateParams, type Params } from '../schema/validator.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { endSessionSchema, type EndSessionParams } from './end-session.schema.js';

export interface LogoutRequest {
  /** The client named by client_id or by the hint's audience, when it is registered. */
  client: ClientRecord | null;
  hint: IdTokenHintClaims | null;
  /** Set only when it exactly matches one the client registered. */
  postLogoutRedirectUri: string | null;
  state: string | null;
  uiLocale: string | null;
}

/** The client an ID token was issued to: its single audience, or azp among several. */
function hintClientId(hint: IdTokenHintClaims): string | undefined {
  if (hint.aud.length === 1) return hint.aud[0];
  return hint.azp !== undefined && hint.aud.includes(hint.azp) ? hint.azp : undefined;
}

async function identifyClient(ctx: Context, clientId: string | undefined, hint: IdTokenHintClaims | null): Promise<ClientRecord | null> {
  if (clientId !== undefined) {
    // RP-Initiated Logout §2: with both, client_id must be the client the ID token was issued to.
    if (hint && !hint.aud.includes(clientId)) throw new OAuthError('invalid_request', 'id_token_hint was not issued to this client_id', { requirement: 'RPL-2-4' });
    const client = await ctx.stores.clients.find(clientId);
    if (!client) throw new OAuthError('invalid_request', 'client_id is not a registered client', { requirement: 'RPL-4-1' });
    return client;
  }
  const fromHint = hint ? hintClientId(hint) : undefined;
  // A hint for a client since removed still identifies the user; it only cannot vouch for a redirect.
  return fromHint !== undefined ? ((await ctx.stores.clients.find(fromHint)) ?? null) : null;
}

function checkPostLogoutRedirectUri(client: ClientRecord | null, presented: string | undefined): string | null {
  if (presented === undefined) return null;
  if (!client) throw new OAuthError('invalid_request', 'invalid post_logout_redirect_uri: id_token_hint or client_id must identify the client', { requirement: 'RPL-3-3' });
  // §3: exact match with a registered value, else no redirection.
  if (!(client.metadata.post_logout_redirect_uris ?? []).includes(presented)) {
    throw new OAuthError('invalid_request', 'invalid post_logout_redirect_uri: not registered for this client', { requirement: 'RPL-3-1' });
  }
  return presented;
}

export async function validateLogoutRequest(ctx: Context, raw: Params): Promise<LogoutRequest> {
  const params = validateParams<EndSessionParams>(endSessionSchema, raw);
  // §4: the OP MUST validate that it issued the hint; a hint signed by anyone else ends here.
  const hint = params.id_token_hint !== undefined ? await verifyIdTokenHint(ctx, params.id_token_hint) : null;
  const client = await identifyClient(ctx, params.client_id, hint);
  const postLogoutRedirectUri = checkPostLogoutRedirectUri(client, params.post_logout_redirect_uri);
  // logout_hint is accepted and ignored: the user confirms which session ends on our own page.
  return { client, hint, postLogoutRedirectUri, state: params.state ?? null, uiLocale: pageLocale(params.ui_locales) };
}
