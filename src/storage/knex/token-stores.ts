/**
 * Authorization codes, refresh tokens and access tokens, each keyed by SHA-256 of its handle.
 * Single use is one conditional update: only the caller that changes the row wins.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.5 (codes are single use and short lived)
 */
import type { Knex } from 'knex';
import type {
  AccessTokenRecord, AccessTokenStore, AuthorizationCodeRecord, AuthorizationCodeStore,
  RefreshTokenRecord, RefreshTokenStore, Tx,
} from '../stores.js';
import { fromJson, toJson, toNumber, toNumberOrNull } from './json.js';

type Row = Record<string, unknown>;

export class KnexAuthorizationCodeStore implements AuthorizationCodeStore {
  constructor(private readonly db: Knex) {}

  async insert(code: AuthorizationCodeRecord, tx: Tx = this.db) {
    await tx('authorization_codes').insert({
      code_hash: code.codeHash, grant_id: code.grantId, client_id: code.clientId, redirect_uri: code.redirectUri,
      code_challenge: code.codeChallenge, code_challenge_method: code.codeChallengeMethod, nonce: code.nonce,
      scope: code.scope, created_at: code.createdAt, expires_at: code.expiresAt, consumed_at: code.consumedAt,
    });
  }

  async find(codeHash: string, tx: Tx = this.db) {
    const row: Row | undefined = await tx('authorization_codes').where({ code_hash: codeHash }).first();
    if (!row) return undefined;
    return {
      codeHash: row.code_hash as string, grantId: row.grant_id as string, clientId: row.client_id as string,
      redirectUri: row.redirect_uri as string, codeChallenge: (row.code_challenge as string) ?? null,
      codeChallengeMethod: (row.code_challenge_method as string) ?? null, nonce: (row.nonce as string) ?? null,
      scope: row.scope as string, createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at),
      consumedAt: toNumberOrNull(row.consumed_at),
    };
  }

  async consume(codeHash: string, now: number, tx: Tx = this.db) {
    return (await tx('authorization_codes').where({ code_hash: codeHash }).whereNull('consumed_at').update({ consumed_at: now })) === 1;
  }
}

export class KnexRefreshTokenStore implements RefreshTokenStore {
  constructor(private readonly db: Knex) {}

  async insert(token: RefreshTokenRecord, tx: Tx = this.db) {
    await tx('refresh_tokens').insert({
      token_hash: token.tokenHash, grant_id: token.grantId, client_id: token.clientId, scope: token.scope,
      created_at: token.createdAt, expires_at: token.expiresAt, consumed_at: token.consumedAt,
    });
  }

  async find(tokenHash: string, tx: Tx = this.db) {
    const row: Row | undefined = await tx('refresh_tokens').where({ token_hash: tokenHash }).first();
    if (!row) return undefined;
    return {
      tokenHash: row.token_hash as string, grantId: row.grant_id as string, clientId: row.client_id as string,
      scope: row.scope as string, createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at),
      consumedAt: toNumberOrNull(row.consumed_at),
    };
  }

  async consume(tokenHash: string, now: number, tx: Tx = this.db) {
    return (await tx('refresh_tokens').where({ token_hash: tokenHash }).whereNull('consumed_at').update({ consumed_at: now })) === 1;
  }
}

export class KnexAccessTokenStore implements AccessTokenStore {
  constructor(private readonly db: Knex) {}

  async insert(token: AccessTokenRecord, tx: Tx = this.db) {
    await tx('access_tokens').insert({
      token_hash: token.tokenHash, format: token.format, grant_id: token.grantId, client_id: token.clientId,
      scope: token.scope, audience: toJson(token.audience), created_at: token.createdAt, expires_at: token.expiresAt,
    });
  }

  async find(tokenHash: string, tx: Tx = this.db) {
    const row: Row | undefined = await tx('access_tokens').where({ token_hash: tokenHash }).first();
    if (!row) return undefined;
    return {
      tokenHash: row.token_hash as string, format: row.format as 'opaque' | 'jwt', grantId: row.grant_id as string,
      clientId: row.client_id as string, scope: row.scope as string, audience: fromJson<string[]>(row.audience),
      createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at),
    };
  }
}
