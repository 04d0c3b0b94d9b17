/**
 * Failed client authentication (`invalid_client` at the token, introspection and revocation
 * endpoints) as `client.auth_failed` audit events: the threat detector counts them per address. The
 * client_id is the one the request claimed (unverified, so it is recorded as claimed); the presented
 * secret or assertion never is. Whether the client was unknown or its secret wrong is recorded
 * (the error's private cause), though the client is told neither.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (invalid_client)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10 (guessing credentials)
 * @spec https://github.com/OWASP/ASVS/blob/v5.0.0/5.0/en/0x25-V16-Security-Logging-and-Error-Handling.md (V16.3.1)
 */
import type { Request } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import type { Context } from '../server/context.js';
import { audit } from './audit.js';
import { requestClientId } from './rate-limit-keys.js';

/** Why client authentication failed, for the audit log only: never in a response. */
export type ClientAuthFailureCause = 'unknown_client' | 'wrong_secret';
const CAUSES: readonly unknown[] = ['unknown_client', 'wrong_secret'] satisfies ClientAuthFailureCause[];

/** Runs `authenticate`; when it fails with invalid_client, records the failure before rethrowing. */
export async function auditedClientAuthentication<T>(ctx: Context, req: Request, authenticate: () => Promise<T>): Promise<T> {
  try {
    return await authenticate();
  } catch (error) {
    if (error instanceof OAuthError && error.code === 'invalid_client') {
      const claimed = requestClientId(req)?.slice(0, 255) ?? null;
      // The refusal stands even if the log write fails: the response must not depend on the audit store.
      await audit(ctx, req, { type: 'client.auth_failed', clientId: claimed, details: { endpoint: req.path, reason: error.description, ...(CAUSES.includes(error.cause) ? { cause: error.cause } : {}) } })
        .catch((failure: unknown) => ctx.logger.warn({ err: failure }, 'audit event not recorded'));
    }
    throw error;
  }
}
