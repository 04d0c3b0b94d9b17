/**
 * Client metadata that only an operator sets (`castellan clients add`, the seed file), never the
 * client itself: the resources it may ask tokens for, the resources it serves as a resource server
 * (introspection rights), and its token exchange policy. A client that could set them would grant
 * itself audiences, introspection or exchange rights. Dynamic registration therefore drops them,
 * and a self-update over RFC 7592 keeps the stored values whatever the body says.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (the server MAY reject or replace requested metadata values)
 * @spec https://www.rfc-editor.org/rfc/rfc7592#section-2.2 (the server MAY replace values of an update)
 */
import { RESOURCES_METADATA } from '../rfc8707-resource-indicators/resource-policy.js';
import { SERVED_RESOURCES_METADATA } from '../rfc7662-introspection/introspection-policy.js';
import { POLICY_METADATA } from '../rfc8693-token-exchange/exchange-policy.js';
import type { ClientMetadata } from '../storage/stores.js';

/** The one list of operator-only members, for the registration schema and the update alike. */
export const OPERATOR_ONLY_METADATA: readonly string[] = [RESOURCES_METADATA, SERVED_RESOURCES_METADATA, POLICY_METADATA];

export function isOperatorOnlyMetadata(name: string): boolean {
  return OPERATOR_ONLY_METADATA.includes(name);
}

/** A copy of `document` without the operator-only members. */
export function withoutOperatorMetadata(document: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(document).filter(([name]) => !isOperatorOnlyMetadata(name)));
}

/** The operator-only members a stored client holds, to carry across a self-update. */
export function operatorMetadataOf(metadata: ClientMetadata): Record<string, unknown> {
  return Object.fromEntries(OPERATOR_ONLY_METADATA.filter((name) => metadata[name] !== undefined).map((name) => [name, metadata[name]]));
}
