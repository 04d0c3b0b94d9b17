/**
 * The exchange policy of a client: explicit and deny-by-default. A client exchanges tokens only
 * when its metadata holds `token_exchange` (set by an operator through the CLI or the seed file;
 * dynamic registration drops the member) and it is registered for the grant type. The policy says
 * which tokens it may present and what it may get for them:
 *
 *   token_exchange: {
 *     subject_token_types: [URN, ...]       accepted subject token types (RFC 8693 §3), required
 *     subject_issuers: ["self", ISS, ...]   "self" = tokens Castellan issued; others must be in
 *                                           TOKEN_EXCHANGE_TRUSTED_ISSUERS (default ["self"])
 *     subject_clients: [client_id, ...]     whose Castellan-issued tokens, besides the client's own
 *                                           (always allowed: it holds them already; default [])
 *     audiences: [name or URI, ...]         every audience/resource the client may ask for, required
 *     scopes: [scope, ...]                  a cap on the issued scope (absent: no cap but the subject's)
 *     impersonation: boolean                may exchange without an actor token
 *     delegation: boolean                   may exchange with an actor token (the token gets `act`)
 *     actor_token_types: [URN, ...]         default: subject_token_types
 *     actor_issuers: ["self", ISS, ...]     default ["self"]; a Castellan actor token must be the
 *                                           exchanging client's own
 *   }
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-1.1 (delegation and impersonation)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.2.2 (invalid_request, invalid_target)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-5 (the server decides which exchanges it allows)
 */
import { TOKEN_EXCHANGE_GRANT_TYPE } from '../clients/client-metadata.js';
import { OAuthError } from '../errors/oauth-error.js';
import type { ClientMetadata, ClientRecord } from '../storage/stores.js';
import { isTokenType, type TokenType } from './token-types.js';

/** The client metadata member holding the policy. */
export const POLICY_METADATA = 'token_exchange';
export const SELF_ISSUER = 'self';

export interface ExchangePolicy {
  subject_token_types: TokenType[];
  subject_issuers: string[];
  subject_clients: string[];
  audiences: string[];
  scopes?: string[];
  impersonation: boolean;
  delegation: boolean;
  actor_token_types: TokenType[];
  actor_issuers: string[];
}

const MEMBERS = new Set(['subject_token_types', 'subject_issuers', 'subject_clients', 'audiences', 'scopes', 'impersonation', 'delegation', 'actor_token_types', 'actor_issuers']);
const fail = (description: string) => new OAuthError('invalid_client_metadata', `token_exchange: ${description}`, { requirement: 'RFC8693-5-1' });

function strings(value: unknown, name: string, options: { required?: boolean; nonEmpty?: boolean } = {}): string[] | undefined {
  if (value === undefined) {
    if (options.required) throw fail(`${name} is required`);
    return undefined;
  }
  if (!Array.isArray(value) || value.length > 100 || !value.every((item) => typeof item === 'string' && item.length > 0 && item.length <= 2048)) {
    throw fail(`${name} must be an array of at most 100 non-empty strings`);
  }
  if (options.nonEmpty && value.length === 0) throw fail(`${name} must not be empty`);
  return [...new Set(value as string[])];
}

function tokenTypes(value: unknown, name: string, required: boolean): TokenType[] | undefined {
  const list = strings(value, name, { required, nonEmpty: true });
  for (const type of list ?? []) if (!isTokenType(type)) throw fail(`${name}: ${type} is not a supported token type`);
  return list as TokenType[] | undefined;
}

/**
 * Validates the `token_exchange` member into its stored form (defaults filled in); undefined when
 * absent. It needs the grant type, and an authenticated client: a public client proves nothing
 * about who exchanges.
 */
export function validateExchangePolicy(
  value: unknown,
  metadata: Pick<ClientMetadata, 'grant_types' | 'token_endpoint_auth_method'>,
  trustedIssuers?: readonly { issuer: string }[],
): ExchangePolicy | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('must be an object');
  const input = value as Record<string, unknown>;
  for (const name of Object.keys(input)) if (!MEMBERS.has(name)) throw fail(`unknown member ${name}`);
  if (!metadata.grant_types.includes(TOKEN_EXCHANGE_GRANT_TYPE)) throw fail(`needs the grant type ${TOKEN_EXCHANGE_GRANT_TYPE}`);
  if (metadata.token_endpoint_auth_method === 'none') throw fail('a public client cannot exchange tokens');
  for (const name of ['impersonation', 'delegation']) if (typeof input[name] !== 'boolean') throw fail(`${name} must be true or false`);
  if (!input.impersonation && !input.delegation) throw fail('impersonation or delegation must be true');
  const subjectTypes = tokenTypes(input.subject_token_types, 'subject_token_types', true)!;
  const scopes = strings(input.scopes, 'scopes');
  if (scopes?.some((scope) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope))) throw fail('scopes must be scope tokens (RFC 6749 §3.3)');
  const subjectIssuers = strings(input.subject_issuers, 'subject_issuers', { nonEmpty: true }) ?? [SELF_ISSUER];
  const actorIssuers = strings(input.actor_issuers, 'actor_issuers', { nonEmpty: true }) ?? [SELF_ISSUER];
  // An issuer the server does not trust could never match at exchange time: say so when the client is saved.
  if (trustedIssuers) {
    const known = new Set([SELF_ISSUER, ...trustedIssuers.map((entry) => entry.issuer)]);
    for (const [name, list] of [['subject_issuers', subjectIssuers], ['actor_issuers', actorIssuers]] as const) {
      const unknown = list.find((issuer) => !known.has(issuer));
      if (unknown !== undefined) throw fail(`${name}: ${unknown} is neither "self" nor in TOKEN_EXCHANGE_TRUSTED_ISSUERS`);
    }
  }
  return {
    subject_token_types: subjectTypes,
    subject_issuers: subjectIssuers,
    subject_clients: strings(input.subject_clients, 'subject_clients') ?? [],
    audiences: strings(input.audiences, 'audiences', { required: true, nonEmpty: true })!,
    ...(scopes ? { scopes } : {}),
    impersonation: input.impersonation as boolean,
    delegation: input.delegation as boolean,
    actor_token_types: tokenTypes(input.actor_token_types, 'actor_token_types', false) ?? subjectTypes,
    actor_issuers: actorIssuers,
  };
}

/** The client's policy; a client without one may not exchange at all (RFC 6749 §5.2 unauthorized_client). */
export function exchangePolicyOf(client: ClientRecord): ExchangePolicy {
  const policy = client.metadata[POLICY_METADATA] as ExchangePolicy | undefined;
  if (!policy || typeof policy !== 'object') throw new OAuthError('unauthorized_client', 'the client has no token exchange policy', { requirement: 'RFC8693-5-1' });
  return policy;
}

/** What the policy needs to know of a presented token. */
export interface TokenOrigin {
  type: TokenType;
  /** Castellan issued it (then `clientId` is the client it was issued to). */
  self: boolean;
  issuer: string;
  clientId: string | null;
}

/** §2.2.2: a subject token the policy does not accept is invalid_request. */
export function checkSubjectAllowed(policy: ExchangePolicy, client: ClientRecord, subject: TokenOrigin): void {
  const refuse = (why: string) => new OAuthError('invalid_request', `subject_token not acceptable: ${why}`, { requirement: 'RFC8693-2.2.2-1' });
  if (!policy.subject_token_types.includes(subject.type)) throw refuse(`this client may not exchange ${subject.type}`);
  if (!policy.subject_issuers.includes(subject.self ? SELF_ISSUER : subject.issuer)) throw refuse('this client may not exchange tokens of that issuer');
  // RFC 8693 §5: exchanging another client's token is a privilege the operator grants by name.
  if (subject.self && subject.clientId !== client.clientId && !policy.subject_clients.includes(subject.clientId ?? '')) {
    throw refuse('the token was issued to another client');
  }
}

/** Delegation or impersonation must be allowed, and an actor token acceptable like a subject token. */
export function checkActorAllowed(policy: ExchangePolicy, client: ClientRecord, actor: TokenOrigin | undefined): void {
  if (!actor) {
    if (!policy.impersonation) throw new OAuthError('invalid_request', 'this client may exchange only with an actor_token (delegation)', { requirement: 'RFC8693-5-1' });
    return;
  }
  const refuse = (why: string) => new OAuthError('invalid_request', `actor_token not acceptable: ${why}`, { requirement: 'RFC8693-2.2.2-1' });
  if (!policy.delegation) throw refuse('this client may not exchange with an actor token (impersonation only)');
  if (!policy.actor_token_types.includes(actor.type)) throw refuse(`this client may not present ${actor.type}`);
  if (!policy.actor_issuers.includes(actor.self ? SELF_ISSUER : actor.issuer)) throw refuse('this client may not present actor tokens of that issuer');
  // A Castellan token names an actor only in the hands of the client it was issued to.
  if (actor.self && actor.clientId !== client.clientId) throw refuse('the actor token was issued to another client');
}
