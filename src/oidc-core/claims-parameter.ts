/**
 * The OIDC `claims` request parameter: which individual claims go to the ID token and to UserInfo.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#ClaimsParameter
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#IndividualClaimsRequests
 */
import { OAuthError } from '../errors/oauth-error.js';

/** Per claim: null (default request) or `{ essential?, value?, values? }`. */
export type ClaimsRequestMember = Record<string, { essential?: boolean; value?: unknown; values?: unknown[] } | null>;

export interface ClaimsRequest {
  userinfo?: ClaimsRequestMember;
  id_token?: ClaimsRequestMember;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function member(value: unknown, name: string): ClaimsRequestMember | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new OAuthError('invalid_request', `claims.${name} must be a JSON object`, { requirement: 'OIDC-5.5-2' });
  const result: ClaimsRequestMember = {};
  for (const [claim, request] of Object.entries(value)) {
    if (claim === '__proto__') continue;
    if (request !== null && !isObject(request)) throw new OAuthError('invalid_request', `claims.${name}.${claim} must be null or an object`, { requirement: 'OIDC-5.5-2' });
    if (request && request.essential !== undefined && typeof request.essential !== 'boolean') {
      throw new OAuthError('invalid_request', `claims.${name}.${claim}.essential must be a boolean`, { requirement: 'OIDC-5.5-2' });
    }
    if (request && request.values !== undefined && !Array.isArray(request.values)) {
      throw new OAuthError('invalid_request', `claims.${name}.${claim}.values must be an array`, { requirement: 'OIDC-5.5-2' });
    }
    result[claim] = request as ClaimsRequestMember[string];
  }
  return result;
}

/** Parses the parameter; malformed JSON or members are invalid_request, unknown members are ignored. */
export function parseClaimsParameter(text: string | undefined): ClaimsRequest | null {
  if (text === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OAuthError('invalid_request', 'claims must be a JSON object', { requirement: 'OIDC-5.5-2' });
  }
  if (!isObject(parsed)) throw new OAuthError('invalid_request', 'claims must be a JSON object', { requirement: 'OIDC-5.5-2' });
  const result: ClaimsRequest = {};
  const userinfo = member(parsed.userinfo, 'userinfo');
  const idToken = member(parsed.id_token, 'id_token');
  if (userinfo) result.userinfo = userinfo;
  if (idToken) result.id_token = idToken;
  return result;
}

/**
 * OIDC Core §3.1.2.1: when max_age is used the ID token MUST carry auth_time. Recording that as an
 * essential auth_time request keeps the rule in the grant, where the token endpoint reads claims.
 */
export function requireAuthTime(claims: ClaimsRequest | null): ClaimsRequest {
  const idToken = { ...(claims?.id_token ?? {}) };
  idToken.auth_time = { ...(idToken.auth_time ?? {}), essential: true };
  return { ...(claims ?? {}), id_token: idToken };
}

/** Claim names requested for one target, in request order. */
export function requestedClaimNames(claims: ClaimsRequest | null | undefined, target: 'userinfo' | 'id_token'): string[] {
  const requested = claims?.[target];
  return requested ? Object.keys(requested) : [];
}
