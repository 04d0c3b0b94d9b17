/**
 * Chooses between an opaque handle and an RFC 9068 JWT for one access token: a JWT when the client
 * registered `access_token_format: jwt`, or when the token's audience includes a resource server
 * configured in JWT_ACCESS_TOKEN_RESOURCES (those validate tokens locally, without introspection).
 * Either kind is recorded (the JWT by its jti), so both stay revocable and introspectable.
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-1 (the format suits resource servers that validate locally)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-3 (aud: the requested resource, else a default)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2 (resource indicators)
 */
import type { Config } from '../config/config.js';
import type { ClientMetadata } from '../storage/stores.js';

export type AccessTokenFormat = 'opaque' | 'jwt';

export function accessTokenFormat(
  config: Pick<Config, 'jwtAccessTokenResources'>,
  metadata: Pick<ClientMetadata, 'access_token_format'>,
  audience: readonly string[] | null | undefined,
): AccessTokenFormat {
  if (metadata.access_token_format === 'jwt') return 'jwt';
  const jwtResources = config.jwtAccessTokenResources ?? [];
  return audience?.some((resource) => jwtResources.includes(resource)) ? 'jwt' : 'opaque';
}
