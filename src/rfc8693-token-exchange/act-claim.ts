/**
 * The act claim of an exchanged token and the may_act check of its subject token.
 * - Delegation (an actor token): `act` names the actor (its `sub`, and `iss` when another issuer's);
 *   when the subject token already had `act`, that chain is nested inside, the newest actor outermost.
 * - Impersonation (no actor token): the subject token's own `act`, if any, is kept, so a chain of
 *   delegations is never hidden by a later impersonation.
 * - may_act: when the subject token carries it, the actor must be the party it names (`sub`, and
 *   `iss` when given); without an actor token the exchanging client is that party.
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-1.1 (delegation vs impersonation)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-4.1 (act; nested act for prior actors)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-4.4 (may_act)
 */
import { OAuthError } from '../errors/oauth-error.js';
import type { ActClaim } from '../storage/stores.js';

/** Actors nested more deeply than this are refused: no real chain is that long, and the claim is bounded. */
export const MAX_ACT_DEPTH = 8;

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 2048;

/** A well-formed act claim (sub, optional iss, optional nested act) or undefined; depth counts the levels. */
export function parseActClaim(value: unknown, depth = 1): ActClaim | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth > MAX_ACT_DEPTH) return undefined;
  const { sub, iss, act } = value as Record<string, unknown>;
  if (!isString(sub) || (iss !== undefined && !isString(iss))) return undefined;
  const nested = act === undefined ? undefined : parseActClaim(act, depth + 1);
  if (act !== undefined && !nested) return undefined;
  return { sub, ...(iss !== undefined ? { iss } : {}), ...(nested ? { act: nested } : {}) };
}

/** Who acts: a subject identifier and the issuer that assigned it. */
export interface Party {
  sub: string;
  iss: string;
}

/** The act claim of the issued token; `ourIssuer` is left out of `iss` (it is the token's own iss). */
export function issuedAct(subjectAct: ActClaim | undefined, actor: Party | undefined, ourIssuer: string): ActClaim | undefined {
  if (!actor) return subjectAct;
  const act: ActClaim = { sub: actor.sub, ...(actor.iss !== ourIssuer ? { iss: actor.iss } : {}), ...(subjectAct ? { act: subjectAct } : {}) };
  if (parseActClaim(act) === undefined) throw new OAuthError('invalid_request', `the delegation chain would be longer than ${MAX_ACT_DEPTH} actors`, { requirement: 'RFC8693-4.1-2' });
  return act;
}

/** §4.4: refuses an actor the subject token's may_act does not name. */
export function checkMayAct(mayAct: unknown, actor: Party): void {
  if (mayAct === undefined) return;
  const { sub, iss } = (typeof mayAct === 'object' && mayAct !== null && !Array.isArray(mayAct) ? mayAct : {}) as Record<string, unknown>;
  if (!isString(sub) || (iss !== undefined && !isString(iss))) throw new OAuthError('invalid_request', 'the subject token\'s may_act claim is malformed', { requirement: 'RFC8693-4.4-1' });
  if (sub !== actor.sub || (iss !== undefined && iss !== actor.iss)) {
    throw new OAuthError('invalid_request', 'the subject token\'s may_act claim does not allow this actor', { requirement: 'RFC8693-4.4-1' });
  }
}
