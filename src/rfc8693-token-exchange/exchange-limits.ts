/**
 * What an exchanged token may be for: its scope and its audience, each bounded three ways, by what
 * was asked, by the client's policy and by the subject token.
 * - Scope: never broader than the subject token's. A requested value the subject token lacks, or the
 *   policy's `scopes` cap excludes, is refused (invalid_scope) rather than dropped, as at refresh
 *   (RFC 6749 §6). Without `scope` the subject token's scope, capped by the policy, is issued.
 * - Audience: the `audience` and `resource` values together. Each must be in the policy's
 *   `audiences` (else invalid_target, §2.2.2). When the subject token was itself obtained by an
 *   exchange (at Castellan, or carrying `act`), each must also be in the subject token's audience:
 *   the first exchange of a chain sets the widest audience the chain can reach, later ones narrow.
 *   Without either parameter the subject token's own audience, within the policy, is kept; when
 *   nothing is left the client must name a target.
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.1 (audience, resource, scope)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.2.2 (invalid_target, invalid_scope)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-5 (the issued token's privileges are the server's decision)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2 (resource)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { scopeList } from '../oidc-core/claims.js';
import { requestedResources } from '../rfc8707-resource-indicators/resource-indicator.js';
import type { ExchangePolicy } from './exchange-policy.js';

export function exchangedScope(requested: string | undefined, subjectScope: string, policy: Pick<ExchangePolicy, 'scopes'>): string {
  const held = new Set(scopeList(subjectScope));
  const cap = policy.scopes ? new Set(policy.scopes) : undefined;
  if (requested === undefined) return [...held].filter((value) => !cap || cap.has(value)).join(' ');
  const objections: string[] = [];
  const granted = [...new Set(scopeList(requested))].filter((value) => {
    if (!held.has(value)) objections.push(`${value} is not in the subject token's scope`);
    else if (cap && !cap.has(value)) objections.push(`${value} is not allowed by this client's exchange policy`);
    else return true;
    return false;
  });
  if (objections.length > 0) throw new OAuthError('invalid_scope', `scope not allowed: ${objections.join('; ')}`, { requirement: 'RFC8693-2.2.2-3' });
  return granted.join(' ');
}

export interface AudienceRequest {
  audience?: string | string[];
  resource?: string | string[];
}

export interface SubjectAudience {
  /** The subject token's explicit audience (none: empty). */
  audience: string[];
  /** It was obtained by an exchange, so it may only be narrowed. */
  exchanged: boolean;
}

export function exchangedAudience(request: AudienceRequest, subject: SubjectAudience, policy: Pick<ExchangePolicy, 'audiences'>): string[] {
  const allowed = new Set(policy.audiences);
  const held = new Set(subject.audience);
  const audiences = request.audience === undefined ? [] : [request.audience].flat();
  // RFC 8707 §2: a malformed resource is invalid_target (requestedResources checks the syntax).
  const targets = [...new Set([...audiences, ...(requestedResources(request.resource) ?? [])])];
  if (targets.length === 0) {
    const kept = subject.audience.filter((value) => allowed.has(value));
    if (kept.length === 0) throw new OAuthError('invalid_target', 'name the target service with audience or resource: the subject token has no audience this client may use', { requirement: 'RFC8693-2.2.2-2' });
    return kept;
  }
  const refused = targets.filter((value) => !allowed.has(value));
  if (refused.length > 0) throw new OAuthError('invalid_target', `audience not allowed by this client's exchange policy: ${refused.join(' ')}`, { requirement: 'RFC8693-2.2.2-2' });
  if (subject.exchanged) {
    const wider = targets.filter((value) => !held.has(value));
    if (wider.length > 0) throw new OAuthError('invalid_target', `a token obtained by exchange can only be narrowed; not in its audience: ${wider.join(' ')}`, { requirement: 'RFC8693-5-2' });
  }
  return targets;
}
