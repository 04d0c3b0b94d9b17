/**
 * Settings of resource indicators: the resource servers that receive RFC 9068 JWT access tokens.
 * Any access token whose audience includes one of them is a JWT, whatever its client's format.
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2 (resource indicators are absolute URIs without fragment)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2
 */
import { isResourceIndicator } from '../rfc8707-resource-indicators/resource-indicator.js';
import { asList } from './security-settings.js';

export interface ResourceConfig {
  /** Resource indicators whose access tokens are JWTs (JWT_ACCESS_TOKEN_RESOURCES). */
  jwtAccessTokenResources: string[];
}

/** Comma-separated (environment) or an array (CONFIG_FILE) of absolute URIs without a fragment. */
export function asResourceList(raw: unknown): string[] | undefined {
  const list = asList(raw);
  return list && list.every(isResourceIndicator) ? [...new Set(list)] : undefined;
}
