/**
 * Failed client authentication (`invalid_client` at the token, introspection and revocation
 * endpoints) as `client.auth_failed` audit events: the threat detector counts them per address. The
 * client_id is the one the request claimed (unverified, so it is recorded as claimed); the presented
 * secret or assertion never is. Whether the client was unknown or its secret wrong is recorded
 * (the error's private cause), though the client is told neither. A client whose jwks_uri did not
 * answer gets `client.keys_unavailable` instead: a fault of its key endpoint, not a failed attempt.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (invalid_client)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10 (guessing credentials)
 * @spec https://github.com/OWASP/ASVS/blob/v5.0.0/5.0/en/0x25-V16-Security-Logging-and-Error-Handling.md (V16.3.1)
 */
import type { Request } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { KeyEndpointFault } from '../rfc7523-jwt-client-auth/client-jwks.js';
import type { Context } from '../server/context.js';
import { audit } from './audit.js';
import { requestClientId } from './rate-limit-keys.js';

/** Why client authentication failed, for the audit log only: never in a response. */
export type ClientAuthFailureCause = 'unknown_client' | 'wrong_secret';
const CAUSES: readonly unknown[] = ['unknown_client', 'wrong_secret'] satisfies ClientAuthFailureCause[];

/**
 * invalid_client is a failed authentication; an outage of the client's jwks_uri is a fault of its
 * key endpoint, recorded apart so that it neither reads as bad credentials nor counts towards the
 * threat detector's failed authentications. Other errors (a database fault) are not client events.
 */
function auditEventOf(error: OAuthError): { type: string; details: Record<string, unknown> } | undefined {
  if (error.code === 'invalid_client') return { type: 'client.auth_failed', details: { reason: error.description, ...(CAUSES.includes(error.cause) ? { cause: error.cause } : {}) } };
  if (error.cause instanceof KeyEndpointFault) return { type: 'client.keys_unavailable', details: { jwks_uri: error.cause.uri, fault: error.cause.message } };
  return undefined;
}

/** Runs `authenticate`; when it fails with invalid_client or a key endpoint fault, records it before rethrowing. */
export async function auditedClientAuthentication<T>(ctx: Context, req: Request, authenticate: () => Promise<T>): Promise<T> {
  try {
    return await authenticate();
  } catch (error) {
    const event = error instanceof OAuthError ? auditEventOf(error) : undefined;
    if (event) {
      const claimed = requestClientId(req)?.slice(0, 255) ?? null;
      // The refusal stands even if the log write fails: the response must not depend on the audit store.
      await audit(ctx, req, { type: event.type, clientId: claimed, details: { endpoint: req.path, ...event.details } })
        .catch((failure: unknown) => ctx.logger.warn({ err: failure }, 'audit event not recorded'));
    }
    throw error;
  }
}
