/**
 * The client information response of registration, read and update: every registered metadata
 * value plus client_id, the secret when one was just issued, and the management credentials.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1 (client_id, client_secret, client_id_issued_at, client_secret_expires_at)
 * @spec https://www.rfc-editor.org/rfc/rfc7592#section-3 (registration_access_token, registration_client_uri)
 */
import type { Config } from '../config/config.js';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import type { ClientRecord } from '../storage/stores.js';

export function registrationClientUri(config: Pick<Config, 'issuer'>, clientId: string): string {
  return `${config.issuer}${PATHS.registration}/${encodeURIComponent(clientId)}`;
}

export interface ClientCredentials {
  /** A secret issued by this very request; stored secrets are hashes and cannot be shown again. */
  clientSecret?: string;
  /** The registration access token: the new one at registration, the presented one afterwards. */
  registrationAccessToken: string;
}

export function clientInformation(config: Pick<Config, 'issuer'>, record: ClientRecord, credentials: ClientCredentials): Record<string, unknown> {
  return {
    ...record.metadata,
    client_id: record.clientId,
    client_id_issued_at: record.createdAt,
    ...(credentials.clientSecret ? { client_secret: credentials.clientSecret } : {}),
    // RFC 7591 §3.2.1: 0 means the secret does not expire.
    ...(record.secretHash ? { client_secret_expires_at: 0 } : {}),
    registration_access_token: credentials.registrationAccessToken,
    registration_client_uri: registrationClientUri(config, record.clientId),
  };
}
