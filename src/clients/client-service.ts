/**
 * Creating clients and checking their secrets. Secrets are 256-bit random values (or supplied ones of
 * at least 32 characters); at that entropy SHA-256 is as strong as a password hash and costs
 * microseconds. Only client_secret_jwt needs the secret itself (the HMAC key): it is kept sealed.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1 (client_id, client_secret, issued_at)
 * @spec https://www.rfc-editor.org/rfc/rfc7592#section-2.2 (update replaces metadata; a new secret may be issued; the server may replace values)
 * @spec https://www.rfc-editor.org/rfc/rfc7592#section-2.3 (deletion invalidates the client's grants and tokens)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { outboundPolicy } from '../security/safe-fetch.js';
import type { Context } from '../server/context.js';
import type { AuditEvent, ClientMetadata, ClientRecord, Tx } from '../storage/stores.js';
import { hashHandle, newHandle, safeEqual } from '../tokens/handles.js';
import { validateClientMetadata, type MetadataOptions } from './client-metadata.js';
import { operatorMetadataOf, withoutOperatorMetadata } from './operator-metadata.js';

export const MIN_SECRET_LENGTH = 32;

export interface CreatedClient {
  record: ClientRecord;
  /** The plain secret, returned once at creation; undefined for public and private_key_jwt clients. */
  clientSecret?: string;
  /** RFC 7592 registration access token, returned once; only when asked for. */
  registrationAccessToken?: string;
}

/** Who caused a change, for its audit event (recorded in the same transaction as the change). */
export type ChangeAudit = Pick<AuditEvent, 'type' | 'ip' | 'userAgent'>;

export interface CreateOptions {
  /** Issue a registration access token (dynamic registration): 32 random bytes, stored as SHA-256. */
  registrationToken?: boolean;
  /** Defaults to a `client.created` event without request details. */
  audit?: ChangeAudit;
}

export function metadataOptions(ctx: Context): MetadataOptions {
  return { production: ctx.config.production, outbound: outboundPolicy(ctx.config), tokenExchangeTrustedIssuers: ctx.config.tokenExchangeTrustedIssuers };
}

export function usesSecret(record: Pick<ClientRecord, 'metadata'>): boolean {
  return ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'].includes(record.metadata.token_endpoint_auth_method);
}

/**
 * A random client_id (128 bits) that does not start with `-` or `_`: one starting with `-` would
 * read as an option in `castellan clients show ID` and in most other command lines. Used for every
 * client without a chosen id: registered over HTTP, from the CLI or from a seed file.
 */
export function newClientId(): string {
  let id = newHandle(16);
  while (!/^[A-Za-z0-9]/.test(id)) id = newHandle(16);
  return id;
}

export async function createClient(ctx: Context, input: Record<string, unknown>, tx?: Tx, options: CreateOptions = {}): Promise<CreatedClient> {
  const metadata = validateClientMetadata(input, metadataOptions(ctx));
  const clientId = typeof input.client_id === 'string' && input.client_id.length > 0 ? input.client_id : newClientId();
  if (clientId.length > 255 || !/^[\x21-\x7E]+$/.test(clientId)) throw new OAuthError('invalid_client_metadata', 'client_id must be 1-255 visible ASCII characters', { requirement: 'CASTELLAN-CLIENTS-1' });
  const now = ctx.clock();
  const needsSecret = usesSecret({ metadata });
  let clientSecret: string | undefined;
  if (needsSecret) {
    if (input.client_secret !== undefined && (typeof input.client_secret !== 'string' || input.client_secret.length < MIN_SECRET_LENGTH)) {
      throw new OAuthError('invalid_client_metadata', `client_secret must be at least ${MIN_SECRET_LENGTH} characters`, { requirement: 'CASTELLAN-CLIENTS-1' });
    }
    clientSecret = (input.client_secret as string | undefined) ?? newHandle(32);
  }
  const registrationAccessToken = options.registrationToken ? newHandle(32) : undefined;
  const record: ClientRecord = {
    clientId,
    secretHash: clientSecret ? hashHandle(clientSecret) : null,
    secretEncrypted: clientSecret && metadata.token_endpoint_auth_method === 'client_secret_jwt' ? ctx.sealer.seal(clientSecret) : null,
    metadata,
    registrationTokenHash: registrationAccessToken ? hashHandle(registrationAccessToken) : null,
    createdAt: now,
    updatedAt: now,
  };
  if (await ctx.stores.clients.find(clientId, tx)) throw new OAuthError('invalid_client_metadata', `client ${clientId} already exists`, { requirement: 'CASTELLAN-CLIENTS-1' });
  await ctx.stores.clients.insert(record, tx);
  await ctx.stores.audit.record({ ...(options.audit ?? { type: 'client.created' }), clientId }, now, tx);
  return { record, clientSecret, registrationAccessToken };
}

/**
 * The metadata of a self-update: the client's own document, checked alone first so its mistakes read
 * as usual, then with the operator-only members of the stored record carried over (a client can
 * neither set nor drop them). They must still hold for the new metadata: served_resources and
 * token_exchange need a confidential client, token_exchange its grant type. An update that breaks
 * them is refused rather than stored inconsistent or silently stripped of what the operator granted.
 */
function updatedMetadata(ctx: Context, current: ClientRecord, input: Record<string, unknown>): ClientMetadata {
  const own = withoutOperatorMetadata(input);
  const options = metadataOptions(ctx);
  const validated = validateClientMetadata(own, options);
  const kept = operatorMetadataOf(current.metadata);
  if (Object.keys(kept).length === 0) return validated;
  try {
    return validateClientMetadata({ ...own, ...kept }, options);
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    const names = Object.keys(kept).join(', ');
    throw new OAuthError('invalid_client_metadata', `${error.description} (${names} set by the operator cannot be changed by the client; ask the operator)`, { requirement: 'CASTELLAN-CLIENTS-2', cause: error });
  }
}

/**
 * Replaces a client's metadata (RFC 7592 §2.2: what the input omits takes its default), except the
 * operator-only members, which are kept (src/clients/operator-metadata.ts). The secret
 * is kept while the new method still uses one; a new one is issued (and returned) when the client
 * had none, or moves to client_secret_jwt without presenting its secret, which must then be sealed.
 * `presentedSecret` must already be verified against the stored hash.
 */
export async function replaceClientMetadata(
  ctx: Context, current: ClientRecord, input: Record<string, unknown>, presentedSecret: string | undefined, tx: Tx, audit: ChangeAudit,
): Promise<CreatedClient> {
  const metadata = updatedMetadata(ctx, current, input);
  const sealed = metadata.token_endpoint_auth_method === 'client_secret_jwt';
  let record: ClientRecord = { ...current, metadata, secretHash: null, secretEncrypted: null, updatedAt: ctx.clock() };
  let clientSecret: string | undefined;
  if (usesSecret({ metadata })) {
    const plainKnown = presentedSecret ?? (current.secretEncrypted ? ctx.sealer.open(current.secretEncrypted) : undefined);
    if (current.secretHash && (!sealed || plainKnown)) {
      record = { ...record, secretHash: current.secretHash, secretEncrypted: sealed ? ctx.sealer.seal(plainKnown!) : null };
    } else {
      clientSecret = newHandle(32);
      record = { ...record, secretHash: hashHandle(clientSecret), secretEncrypted: sealed ? ctx.sealer.seal(clientSecret) : null };
    }
  }
  await ctx.stores.clients.update(record, tx);
  await ctx.stores.audit.record({ ...audit, clientId: record.clientId, details: { token_endpoint_auth_method: metadata.token_endpoint_auth_method, secretIssued: Boolean(clientSecret) } }, record.updatedAt, tx);
  return { record, clientSecret };
}

/** Removes a client and revokes every grant it holds (so every code and token); returns the grants revoked. */
export async function deleteClient(ctx: Context, clientId: string, reason: string, tx: Tx, audit: ChangeAudit): Promise<number> {
  const now = ctx.clock();
  const revoked = await ctx.stores.grants.revokeByClient(clientId, reason, now, tx);
  await ctx.stores.clients.remove(clientId, tx);
  await ctx.stores.audit.record({ ...audit, clientId, details: { grantsRevoked: revoked } }, now, tx);
  return revoked;
}

/** Constant-time check of a presented registration access token against the stored SHA-256. */
export function registrationTokenMatches(record: ClientRecord, presented: string): boolean {
  if (!record.registrationTokenHash) return false;
  return safeEqual(hashHandle(presented), record.registrationTokenHash);
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
