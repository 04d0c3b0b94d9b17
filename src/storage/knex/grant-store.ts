/**
 * Grants: the root of every token family. Revoking a grant is one statement.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (code replay revokes tokens issued from it)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token reuse revokes the family)
 */
import type { Knex } from 'knex';
import type { GrantRecord, GrantStore, Tx } from '../stores.js';
import { fromJson, toJson, toNumber, toNumberOrNull } from './json.js';
import { findOne } from './point-read.js';

type Row = Record<string, unknown>;

/** Exported for joined reads (a token with its grant). */
export const toRecord = (row: Row): GrantRecord => ({
  id: row.id as string,
  clientId: row.client_id as string,
  userId: (row.user_id as string) ?? null,
  scope: row.scope as string,
  claims: fromJson(row.claims),
  resource: fromJson(row.resource),
  authTime: toNumberOrNull(row.auth_time),
  acr: (row.acr as string) ?? null,
  amr: fromJson(row.amr),
  sid: (row.sid as string) ?? null,
  createdAt: toNumber(row.created_at),
  expiresAt: toNumber(row.expires_at),
  revokedAt: toNumberOrNull(row.revoked_at),
  revokedReason: (row.revoked_reason as string) ?? null,
});

/** The row of a grant (also written by the atomic insert of new rows). */
export const grantRow = (grant: GrantRecord): Row => ({
  id: grant.id,
  client_id: grant.clientId,
  user_id: grant.userId,
  scope: grant.scope,
  claims: toJson(grant.claims),
  resource: toJson(grant.resource),
  auth_time: grant.authTime,
  acr: grant.acr,
  amr: toJson(grant.amr),
  sid: grant.sid,
  created_at: grant.createdAt,
  expires_at: grant.expiresAt,
  revoked_at: grant.revokedAt,
  revoked_reason: grant.revokedReason,
});

export class KnexGrantStore implements GrantStore {
  constructor(private readonly db: Knex) {}

  async find(id: string, tx: Tx = this.db) {
    const row = await findOne(this.db, tx, 'grants', { id });
    return row ? toRecord(row) : undefined;
  }

  async insert(grant: GrantRecord, tx: Tx = this.db) {
    await tx('grants').insert(grantRow(grant));
  }

  async revoke(id: string, reason: string, now: number, tx: Tx = this.db) {
    const count = await tx('grants').where({ id }).whereNull('revoked_at').update({ revoked_at: now, revoked_reason: reason });
    return count > 0;
  }

  async revokeByClient(clientId: string, reason: string, now: number, tx: Tx = this.db) {
    return tx('grants').where({ client_id: clientId }).whereNull('revoked_at').update({ revoked_at: now, revoked_reason: reason });
  }

  async countUsableTokensByClient(clientId: string, now: number, tx: Tx = this.db) {
    const live = tx('grants').select('id').where({ client_id: clientId }).whereNull('revoked_at');
    const count = async (query: Knex.QueryBuilder) => toNumber((await query.count({ n: '*' }).first())?.n ?? 0);
    return {
      refreshTokens: await count(tx('refresh_tokens').whereIn('grant_id', live).andWhere('expires_at', '>', now).whereNull('consumed_at')),
      accessTokens: await count(tx('access_tokens').whereIn('grant_id', live).andWhere('expires_at', '>', now).whereNull('revoked_at')),
    };
  }

  async revokeBySid(sid: string, reason: string, now: number, tx: Tx = this.db) {
    return tx('grants').where({ sid }).whereNull('revoked_at').update({ revoked_at: now, revoked_reason: reason });
  }

  async revokeByUser(userId: string, reason: string, now: number, tx: Tx = this.db) {
    return tx('grants').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: now, revoked_reason: reason });
  }

  async listBySid(sid: string, tx: Tx = this.db) {
    const rows: Row[] = await tx('grants').where({ sid }).orderBy('created_at');
    return rows.map(toRecord);
  }

  async listUnrevokedByUserAndClient(userId: string, clientId: string, tx: Tx = this.db) {
    const rows: Row[] = await tx('grants').where({ user_id: userId, client_id: clientId }).whereNull('revoked_at').orderBy('created_at');
    return rows.map(toRecord);
  }

  async revokeByUserAndClient(userId: string, clientId: string, reason: string, now: number, tx: Tx = this.db) {
    return tx('grants').where({ user_id: userId, client_id: clientId }).whereNull('revoked_at').update({ revoked_at: now, revoked_reason: reason });
  }
}
