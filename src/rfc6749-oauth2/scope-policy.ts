/**
 * The scope policy: requested scope in, granted scope out, decided the same way at /authorize, in
 * the client_credentials grant and at refresh.
 * - Dropped without an error (§3.3: the server may ignore part of a request by its policy): values
 *   the client may not have. That is a value the server does not support (OIDC Core §3.1.2.1: SHOULD
 *   ignore), one outside the client's registered `scope`, or openid/offline_access with no end-user.
 * - Refused with invalid_scope: a request of which nothing can be granted, an omitted scope where
 *   there is no default, and at refresh any value the resource owner did not grant (§6: MUST NOT).
 * What was dropped shows in the token response's `scope`, which is always sent (token-response.ts),
 * and every error description names each refused value and why.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (invalid_scope)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-6 (a refresh may only narrow)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (unknown scope values ignored)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { scopeList, SUPPORTED_SCOPES } from '../oidc-core/claims.js';
import type { ClientRecord } from '../storage/stores.js';

/** Why a value is not granted, or undefined when it may be. */
type Objection = (value: string) => string | undefined;

interface Decided {
  granted: string[];
  /** Each value left out, with its reason. */
  objections: string[];
}

function decide(values: readonly string[], objection: Objection): Decided {
  const granted: string[] = [];
  const objections: string[] = [];
  for (const value of new Set(values)) {
    const reason = objection(value);
    if (reason === undefined) granted.push(value);
    else objections.push(reason);
  }
  return { granted, objections };
}

/** Nothing of a non-empty request can be granted: say why for every value. */
function nothingGrantable(objections: string[]): OAuthError {
  if (objections.length === 0) return new OAuthError('invalid_scope', 'the requested scope is empty', { requirement: 'RFC6749-3.3-3' });
  return new OAuthError('invalid_scope', `no requested scope can be granted: ${objections.join('; ')}`, { requirement: 'RFC6749-3.3-1' });
}

const registeredScope = (client: ClientRecord): string[] | undefined => (client.metadata.scope !== undefined ? scopeList(client.metadata.scope) : undefined);

/** Scopes that speak about an end-user, meaningless when the client acts for itself. */
const USER_SCOPES = new Set(['openid', 'offline_access']);

/**
 * /authorize: the scope to ask consent for. A client with a registered `scope` may ask for those
 * values and openid; others for the scopes Castellan supports. §3.3: an omitted scope takes the
 * registered list as its default; without one a user would be asked to approve nothing, so it is refused.
 */
export function authorizationRequestScope(client: ClientRecord, requested: string | undefined): string {
  const registered = registeredScope(client);
  const allowed = new Set(registered ? ['openid', ...registered] : SUPPORTED_SCOPES);
  if (requested === undefined && !registered?.length) throw new OAuthError('invalid_scope', 'scope is required: the client has no registered default scope', { requirement: 'RFC6749-3.3-2' });
  const { granted, objections } = decide(requested !== undefined ? scopeList(requested) : registered ?? [], (value) => {
    if (allowed.has(value)) return undefined;
    return registered ? `${value} is not registered for this client` : `${value} is not supported by this server`;
  });
  if (granted.length === 0) throw nothingGrantable(objections);
  return granted.join(' ');
}

/**
 * client_credentials: the client acts for itself, so user scopes are never granted. A client with a
 * registered `scope` gets values from it; one without may name its own. An omitted scope takes the
 * registered list (§3.3 default), which may leave the token without scope.
 */
export function clientCredentialsScope(client: ClientRecord, requested: string | undefined): string {
  const registered = registeredScope(client);
  const { granted, objections } = decide(requested !== undefined ? scopeList(requested) : registered ?? [], (value) => {
    if (USER_SCOPES.has(value)) return `${value} needs an end-user, and the client_credentials grant has none`;
    if (registered && !registered.includes(value)) return `${value} is not registered for this client`;
    return undefined;
  });
  if (requested !== undefined && granted.length === 0) throw nothingGrantable(objections);
  return granted.join(' ');
}

/**
 * refresh_token: RFC 6749 §6 "MUST NOT include any scope not originally granted by the resource
 * owner", so such a value is refused rather than dropped; omitted means the scope of the token presented.
 * Values the client may no longer have (its registered `scope` was narrowed since the grant) are
 * dropped as at /authorize (§3.3): a refresh never outlives a change to the client's registration.
 */
export function refreshScope(requested: string | undefined, granted: string, client?: ClientRecord): string {
  let scope = scopeList(granted);
  if (requested !== undefined) {
    const original = new Set(scope);
    const decided = decide(scopeList(requested), (value) => (original.has(value) ? undefined : `${value} was not granted by the resource owner`));
    if (decided.objections.length > 0) throw new OAuthError('invalid_scope', `scope exceeds the original grant: ${decided.objections.join('; ')}`, { requirement: 'RFC6749-6-2' });
    scope = decided.granted;
  }
  const registered = client ? registeredScope(client) : undefined;
  if (!registered) return scope.join(' ');
  const allowed = new Set(['openid', ...registered]);
  const stillAllowed = decide(scope, (value) => (allowed.has(value) ? undefined : `${value} is no longer registered for this client`));
  if (stillAllowed.granted.length === 0 && scope.length > 0) {
    throw new OAuthError('invalid_scope', `no granted scope can be refreshed: ${stillAllowed.objections.join('; ')}`, { requirement: 'RFC6749-3.3-1' });
  }
  return stillAllowed.granted.join(' ');
}
