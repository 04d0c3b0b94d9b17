/**
 * Creating clients and checking their secrets. Secrets are 256-bit random values (or supplied ones of
 * at least 32 characters); at that entropy SHA-256 is as strong as a password hash and costs
 * microseconds. Only client_secret_jwt needs the secret itself (the HMAC key): it is kept sealed.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1 (client_id, client_secret, issued_at)
 */
import { OAuthError } from '../errors/oauth-error.js';
import type { Context } from '../server/context.js';
import type { ClientRecord, Tx } from '../storage/stores.js';
import { hashHandle, newHandle, safeEqual } from '../tokens/handles.js';
import { validateClientMetadata } from './client-metadata.js';

export const MIN_SECRET_LENGTH = 32;

export interface CreatedClient {
  record: ClientRecord;
  /** The plain secret, returned once at creation; undefined for public and private_key_jwt clients. */
  clientSecret?: string;
}

export function usesSecret(record: Pick<ClientRecord, 'metadata'>): boolean {
  return ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'].includes(record.metadata.token_endpoint_auth_method);
}

export async function createClient(ctx: Context, input: Record<string, unknown>, tx?: Tx): Promise<CreatedClient> {
  const metadata = validateClientMetadata(input, { production: ctx.config.production });
  const clientId = typeof input.client_id === 'string' && input.client_id.length > 0 ? input.client_id : newHandle(16);
  if (clientId.length > 255 || !/^[\x21-\x7E]+$/.test(clientId)) throw new OAuthError('invalid_client_metadata', 'client_id must be 1-255 visible ASCII characters');
  const now = ctx.clock();
  const needsSecret = usesSecret({ metadata });
  let clientSecret: string | undefined;
  if (needsSecret) {
    if (input.client_secret !== undefined && (typeof input.client_secret !== 'string' || input.client_secret.length < MIN_SECRET_LENGTH)) {
      throw new OAuthError('invalid_client_metadata', `client_secret must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    clientSecret = (input.client_secret as string | undefined) ?? newHandle(32);
  }
  const record: ClientRecord = {
    clientId,
    secretHash: clientSecret ? hashHandle(clientSecret) : null,
    secretEncrypted: clientSecret && metadata.token_endpoint_auth_method === 'client_secret_jwt' ? ctx.sealer.seal(clientSecret) : null,
    metadata,
    registrationTokenHash: null,
    createdAt: now,
    updatedAt: now,
  };
  if (await ctx.stores.clients.find(clientId, tx)) throw new OAuthError('invalid_client_metadata', `client ${clientId} already exists`);
  await ctx.stores.clients.insert(record, tx);
  await ctx.stores.audit.record({ type: 'client.created', clientId }, now, tx);
  return { record, clientSecret };
}

/** Constant-time check of a presented secret against the stored SHA-256. */
export function secretMatches(record: ClientRecord, presented: string): boolean {
  if (!record.secretHash) return false;
  return safeEqual(hashHandle(presented), record.secretHash);
}

/** The plain secret of a client_secret_jwt client, for HMAC verification. */
export function hmacSecret(ctx: Context, record: ClientRecord): string | undefined {
  return record.secretEncrypted ? ctx.sealer.open(record.secretEncrypted) : undefined;
}
