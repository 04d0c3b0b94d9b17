/**
 * Which resources a client may ask for, and how a token request narrows a grant's resources.
 *
 * Castellan policy (RFC 8707 leaves it to the server): a client lists the resource indicators it
 * may request in its metadata field `resources` (a Castellan extension, absolute URIs without a
 * fragment, compared as exact strings). A client without the field may request none. A grant keeps
 * the resources approved at the authorization endpoint; a code or refresh token request may ask
 * for a subset of them, anything else is invalid_target. The access token's audience is the
 * resulting set; the refresh token stays bound to the whole grant.
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2 (invalid_target)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.1 (authorization request)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.2 (token request: a subset of the grant; refresh token keeps the grant)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-3 (audience-restricted tokens)
 */
import { OAuthError } from '../errors/oauth-error.js';
import type { ClientMetadata, ClientRecord } from '../storage/stores.js';
import { isResourceIndicator, requestedResources } from './resource-indicator.js';

/** The client metadata field listing the resource indicators a client may request. */
export const RESOURCES_METADATA = 'resources';

/** Validates the `resources` metadata at registration; undefined stays undefined. */
export function validateResourcesMetadata(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const fail = (description: string) => new OAuthError('invalid_client_metadata', description, { requirement: 'RFC8707-2-3' });
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw fail('resources must be an array of strings');
  if (value.length > 100) throw fail('resources lists at most 100 resource indicators');
  for (const item of value) if (!isResourceIndicator(item)) throw fail(`resource ${item} is not an absolute URI without a fragment`);
  return [...new Set(value as string[])];
}

export function registeredResources(metadata: ClientMetadata): readonly string[] {
  const value = metadata[RESOURCES_METADATA];
  return Array.isArray(value) ? (value as string[]) : [];
}

/**
 * The resources of a new grant (authorization request, client credentials): the requested ones,
 * each registered for the client; null when none was requested.
 */
export function grantResources(client: ClientRecord, parameter: string | readonly string[] | undefined): string[] | null {
  const requested = requestedResources(parameter);
  if (requested === undefined) return null;
  const allowed = new Set(registeredResources(client.metadata));
  const unknown = requested.filter((resource) => !allowed.has(resource));
  // RFC 8707 §2: a resource the client may not use is answered with invalid_target.
  if (unknown.length > 0) throw new OAuthError('invalid_target', `resource not allowed for this client: ${unknown.join(' ')}`, { requirement: 'RFC8707-2-3' });
  return requested;
}

/**
 * The audience of an access token issued from an existing grant: the requested resources when they
 * are all part of the grant, else the grant's own resources.
 */
export function narrowResources(parameter: string | readonly string[] | undefined, granted: readonly string[] | null): string[] | null {
  const requested = requestedResources(parameter);
  if (requested === undefined) return granted ? [...granted] : null;
  const allowed = new Set(granted ?? []);
  const extra = requested.filter((resource) => !allowed.has(resource));
  // RFC 8707 §2.2: the acceptable resources are those originally granted, or a subset of them.
  if (extra.length > 0) throw new OAuthError('invalid_target', `resource was not part of the authorization grant: ${extra.join(' ')}`, { requirement: 'RFC8707-2.2-1' });
  return requested;
}
