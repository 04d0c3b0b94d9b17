/**
 * Authorization codes, refresh tokens and access tokens, each keyed by SHA-256 of its handle.
 * Single use is one conditional update, made by the issuance write (new-rows.ts) together with the
 * rows it issues: only the caller that changes the row wins.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.5 (codes are single use and short lived)
 */
import type {
  AccessTokenRecord, AccessTokenStore, AuthorizationCodeRecord, AuthorizationCodeStore,
  CodeWithGrant, RefreshTokenRecord, RefreshTokenStore, TokenWithGrant, Tx,
} from '../stores.js';
import { toRecord as grantFromRow } from './grant-store.js';
import { fromJson, toJson, toNumber, toNumberOrNull } from './json.js';
import { on } from './on.js';
import type { Database, Row } from './statements.js';
import { USER_PROFILE_COLUMNS, userProfileFromRow } from './user-store.js';

const GRANT_COLUMNS = ['id', 'client_id', 'user_id', 'scope', 'claims', 'resource', 'auth_time', 'acr', 'amr', 'sid', 'created_at', 'expires_at', 'revoked_at', 'revoked_reason', 'parent_grant_id', 'subject', 'act'];

/**
 * RFC 8693: an exchanged grant counts as revoked while the grant it was exchanged from is revoked or
 * gone. Revocation cascades down to it anyway (grant-store.ts); reading the parent as well closes the
 * window where the parent was revoked between the exchange's check and its write.
 */
const EFFECTIVE: Record<string, string> = {
  revoked_at: 'case when g."revoked_at" is not null or g."parent_grant_id" is null then g."revoked_at" '
    + 'when p."id" is null then g."created_at" else p."revoked_at" end',
  revoked_reason: 'case when g."revoked_at" is not null or g."parent_grant_id" is null then g."revoked_reason" '
    + 'when p."id" is null then \'parent_grant_removed\' else p."revoked_reason" end',
};
const grantColumn = (column: string) => EFFECTIVE[column] ?? `g."${column}"`;

type JoinedTable = 'access_tokens' | 'refresh_tokens' | 'authorization_codes';

/** The join for one table, built once: grant and user columns come back prefixed (g_*, u_*) so they cannot collide. */
const joinedSql = (table: JoinedTable, key: string, userColumns: readonly string[] = ['username']) => `select t.*, ${GRANT_COLUMNS.map((column) => `${grantColumn(column)} as "g_${column}"`).join(', ')}, ${userColumns.map((column) => `u."${column}" as "u_${column}"`).join(', ')} `
  + `from "${table}" as t inner join "grants" as g on g."id" = t."grant_id" left join "grants" as p on p."id" = g."parent_grant_id" left join "users" as u on u."id" = g."user_id" `
  + `where t."${key}" = ? limit 1`;
const JOINED_SQL: Record<JoinedTable, string> = {
  access_tokens: joinedSql('access_tokens', 'token_hash'),
  refresh_tokens: joinedSql('refresh_tokens', 'token_hash'),
  authorization_codes: joinedSql('authorization_codes', 'code_hash', USER_PROFILE_COLUMNS),
};

/**
 * One statement for a token or code, its grant and the grant's username: introspection and the code
 * exchange read what they check in a single round trip. `more` maps what else the row holds (the
 * code exchange's user profile).
 */
async function findJoined<T, M extends object = object>(db: Database, tx: Tx | undefined, table: JoinedTable, hash: string, toToken: (row: Row) => T, more?: (row: Row) => M): Promise<(TokenWithGrant<T> & M) | undefined> {
  const row = await on(db, tx).one(JOINED_SQL[table], [hash]);
  if (!row) return undefined;
  const grant: Row = {};
  for (const column of GRANT_COLUMNS) grant[column] = row[`g_${column}`];
  return { token: toToken(row), grant: grantFromRow(grant), username: (row.u_username as string) ?? null, ...(more?.(row) as M) };
}

/** dpop_jkt (RFC 9449) reads back as an absent member when null: an unbound row looks as it did before binding existed. */
const codeFromRow = (row: Row): AuthorizationCodeRecord => ({
  codeHash: row.code_hash as string, grantId: row.grant_id as string, clientId: row.client_id as string,
  redirectUri: row.redirect_uri as string, codeChallenge: (row.code_challenge as string) ?? null,
  codeChallengeMethod: (row.code_challenge_method as string) ?? null, nonce: (row.nonce as string) ?? null,
  scope: row.scope as string, createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at),
  consumedAt: toNumberOrNull(row.consumed_at), dpopJkt: (row.dpop_jkt as string) ?? undefined,
});

const refreshFromRow = (row: Row): RefreshTokenRecord => ({
  tokenHash: row.token_hash as string, grantId: row.grant_id as string, clientId: row.client_id as string,
  scope: row.scope as string, createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at),
  consumedAt: toNumberOrNull(row.consumed_at), dpopJkt: (row.dpop_jkt as string) ?? undefined,
  x5tS256: (row.x5t_s256 as string) ?? undefined,
});

const accessFromRow = (row: Row): AccessTokenRecord => ({
  tokenHash: row.token_hash as string, format: row.format as 'opaque' | 'jwt', grantId: row.grant_id as string,
  clientId: row.client_id as string, scope: row.scope as string, audience: fromJson<string[]>(row.audience),
  createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at), revokedAt: toNumberOrNull(row.revoked_at),
  dpopJkt: (row.dpop_jkt as string) ?? undefined, x5tS256: (row.x5t_s256 as string) ?? undefined,
});

/** Code and token rows (also written by the atomic insert of new rows). */
export const authorizationCodeRow = (code: AuthorizationCodeRecord): Row => ({
  code_hash: code.codeHash, grant_id: code.grantId, client_id: code.clientId, redirect_uri: code.redirectUri,
  code_challenge: code.codeChallenge, code_challenge_method: code.codeChallengeMethod, nonce: code.nonce,
  scope: code.scope, created_at: code.createdAt, expires_at: code.expiresAt, consumed_at: code.consumedAt,
  dpop_jkt: code.dpopJkt ?? null,
});

export const refreshTokenRow = (token: RefreshTokenRecord): Row => ({
  token_hash: token.tokenHash, grant_id: token.grantId, client_id: token.clientId, scope: token.scope,
  created_at: token.createdAt, expires_at: token.expiresAt, consumed_at: token.consumedAt,
  dpop_jkt: token.dpopJkt ?? null, x5t_s256: token.x5tS256 ?? null,
});

export const accessTokenRow = (token: AccessTokenRecord): Row => ({
  token_hash: token.tokenHash, format: token.format, grant_id: token.grantId, client_id: token.clientId,
  scope: token.scope, audience: toJson(token.audience), created_at: token.createdAt, expires_at: token.expiresAt,
  revoked_at: token.revokedAt, dpop_jkt: token.dpopJkt ?? null, x5t_s256: token.x5tS256 ?? null,
});

const FIND_REFRESH_TOKEN = 'select * from "refresh_tokens" where "token_hash" = ? limit 1';
const FIND_ACCESS_TOKEN = 'select * from "access_tokens" where "token_hash" = ? limit 1';
const REVOKE_ACCESS_TOKEN = 'update "access_tokens" set "revoked_at" = ? where "token_hash" = ? and "revoked_at" is null';

export class SqlAuthorizationCodeStore implements AuthorizationCodeStore {
  constructor(private readonly db: Database) {}

  findWithGrant(codeHash: string, tx?: Tx): Promise<CodeWithGrant | undefined> {
    return findJoined(this.db, tx, 'authorization_codes', codeHash, codeFromRow, (row) => ({ user: userProfileFromRow(row, 'u_') }));
  }
}

export class SqlRefreshTokenStore implements RefreshTokenStore {
  constructor(private readonly db: Database) {}

  async find(tokenHash: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND_REFRESH_TOKEN, [tokenHash]);
    return row ? refreshFromRow(row) : undefined;
  }

  async findWithGrant(tokenHash: string, tx?: Tx) {
    return findJoined(this.db, tx, 'refresh_tokens', tokenHash, refreshFromRow);
  }
}

export class SqlAccessTokenStore implements AccessTokenStore {
  constructor(private readonly db: Database) {}

  async find(tokenHash: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND_ACCESS_TOKEN, [tokenHash]);
    return row ? accessFromRow(row) : undefined;
  }

  async revoke(tokenHash: string, now: number, tx?: Tx) {
    return (await on(this.db, tx).run(REVOKE_ACCESS_TOKEN, [now, tokenHash])) === 1;
  }

  async findWithGrant(tokenHash: string, tx?: Tx) {
    return findJoined(this.db, tx, 'access_tokens', tokenHash, accessFromRow);
  }
}
