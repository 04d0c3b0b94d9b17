/**
 * Which tokens an authenticated client may learn about at the introspection endpoint.
 *
 * Castellan policy (RFC 7662 §2.1 and §4 leave it to the server): a client learns about its own
 * tokens. A resource server is a confidential client whose metadata holds `served_resources`
 * (a Castellan extension, set only by an operator through the CLI or the seed file; dynamic
 * registration drops it): the RFC 8707 resource indicators it serves. It also learns about other
 * clients' access tokens whose audience names one of them, or that carry no audience restriction
 * (such a token is good at any resource, so any resource server may be shown it). It never learns
 * about another client's refresh token: only the client itself presents one.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1 (the protected resource is authorized to call)
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-4 (limit which tokens a caller may introspect)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-3 (audience-restricted access tokens)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { isResourceIndicator } from '../rfc8707-resource-indicators/resource-indicator.js';
import type { ClientMetadata, ClientRecord } from '../storage/stores.js';
import type { PresentedToken } from './presented-token.js';

/** The client metadata field listing the resource indicators a resource server client serves. */
export const SERVED_RESOURCES_METADATA = 'served_resources';

/** Validates `served_resources` at registration by an operator; undefined stays undefined. */
export function validateServedResources(value: unknown, authMethod: string): string[] | undefined {
  if (value === undefined) return undefined;
  const fail = (description: string) => new OAuthError('invalid_client_metadata', description, { requirement: 'CASTELLAN-INTROSPECTION-RS-1' });
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw fail('served_resources must be an array of strings');
  if (value.length > 100) throw fail('served_resources lists at most 100 resource indicators');
  for (const item of value) if (!isResourceIndicator(item)) throw fail(`served resource ${item} is not an absolute URI without a fragment`);
  // A public client proves nothing with its client_id, so it cannot speak for a resource server.
  if (authMethod === 'none') throw fail('served_resources needs a confidential client');
  return [...new Set(value as string[])];
}

/** The resources a client serves, or undefined when it is no resource server. */
export function servedResources(metadata: ClientMetadata): readonly string[] | undefined {
  const value = metadata[SERVED_RESOURCES_METADATA];
  return Array.isArray(value) ? (value as string[]) : undefined;
}

/** The caller as this policy sees it. */
export interface Introspector {
  readonly clientId: string;
  readonly served?: readonly string[];
}

export function introspectorOf(client: ClientRecord): Introspector {
  return { clientId: client.clientId, served: servedResources(client.metadata) };
}

/** True when `caller` may be told about `presented`; anything else is answered as inactive. */
export function mayIntrospect(caller: Introspector, presented: PresentedToken): boolean {
  if (presented.found.token.clientId === caller.clientId) return true;
  if (caller.served === undefined || presented.kind !== 'access_token') return false;
  const audience = presented.found.token.audience;
  if (audience === null || audience.length === 0) return true;
  return audience.some((resource) => caller.served!.includes(resource));
}
